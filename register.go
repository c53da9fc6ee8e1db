// Package xk6registry registers the k6/x/registry module with k6.
package xk6registry

import (
	"go.k6.io/k6/v2/js/modules"

	"github.com/xk6-registry/xk6-registry/js"
)

func init() {
	modules.Register(js.ImportPath, js.New())
}
