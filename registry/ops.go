package registry

// Operation names, used as the registry_op metric tag. One per kind of
// registry request, so a performance engineer can put thresholds on each.
const (
	OpPing           = "ping"
	OpToken          = "token"
	OpManifestGet    = "manifest_get"
	OpManifestHead   = "manifest_head"
	OpManifestPut    = "manifest_put"
	OpBlobGet        = "blob_get"
	OpBlobHead       = "blob_head"
	OpBlobMount      = "blob_mount"
	OpUploadStart    = "upload_start"
	OpUploadChunk    = "upload_chunk"
	OpUploadComplete = "upload_complete"
	OpUploadCancel   = "upload_cancel"
	OpUploadStatus   = "upload_status"
	OpManifestDelete = "manifest_delete"
	OpBlobDelete     = "blob_delete"
	OpTags           = "tags"
	OpCatalog        = "catalog"
	OpReferrers      = "referrers"
	// OpServerMetrics is a scrape of the registry's own metrics.
	OpServerMetrics = "server_metrics"
	// Whole-call operations, reported in results and registry_errors.
	OpPull        = "pull"
	OpPush        = "push"
	OpUploadLayer = "upload_layer"
)
