package js

import "github.com/grafana/sobek"

// ManifestParsed tells, of getManifest's manifest value, whether it is the
// lazily parsed object and whether it has been parsed yet.
func ManifestParsed(v sobek.Value) (lazy, parsed bool) {
	obj, ok := v.(*sobek.Object)
	if !ok {
		return false, false
	}
	m, ok := obj.Export().(*lazyManifest)
	if !ok {
		return false, false
	}
	return true, m.parsed != nil
}
