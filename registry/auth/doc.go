// Package auth decides the Authorization of registry requests: it reads the
// registry's challenges (RFC 9110 section 11.6.1), sends Basic credentials or
// bearer tokens, and caches tokens per realm, service and scope set
// (the distribution token authentication spec). It sends nothing itself:
// tokens are fetched through a [TokenFetcher] the client gives it, so token
// requests are measured like every other registry request.
package auth
