// Package registry is a client for the OCI distribution protocol, written for
// load testing: every HTTP request it sends is one it chose, carries a
// [RequestInfo] naming the operation, and streams blob bytes instead of
// holding them. It has no k6 imports; the k6 binding lives in package js.
package registry
