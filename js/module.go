// Package js is the k6 binding of the registry client: it registers
// k6/x/registry, turns JS arguments into registry calls, and records every
// call as k6 metrics. The protocol itself lives in package registry.
package js

import (
	"fmt"

	"github.com/grafana/sobek"
	"go.k6.io/k6/v2/js/common"
	"go.k6.io/k6/v2/js/modules"
)

// ImportPath is the module's name in scripts.
const ImportPath = "k6/x/registry"

// New returns the module for modules.Register.
func New() modules.Module { return &rootModule{} }

type rootModule struct{}

var (
	_ modules.Module   = &rootModule{}
	_ modules.Instance = &ModuleInstance{}
)

// NewModuleInstance makes the module's instance for one VU.
func (*rootModule) NewModuleInstance(vu modules.VU) modules.Instance {
	mi := &ModuleInstance{vu: vu}
	m, err := registerMetrics(vu.InitEnv().Registry)
	if err != nil {
		common.Throw(vu.Runtime(), fmt.Errorf("k6/x/registry: registering metrics: %w", err))
	}
	mi.metrics = m
	return mi
}

// ModuleInstance is the module in one VU.
type ModuleInstance struct {
	vu      modules.VU
	metrics *registryMetrics
}

// Exports is registry.Client, registry.generate, registry.blob,
// registry.load, registry.artifact and registry.replay, as the default
// export and as named ones.
func (mi *ModuleInstance) Exports() modules.Exports {
	named := map[string]any{
		"Client":   mi.newClient,
		"generate": mi.generate,
		"blob":     mi.blob,
		"load":     mi.load,
		"artifact": mi.artifact,
		"replay":   mi.replay,
	}
	return modules.Exports{Default: named, Named: named}
}

// throw raises err as a JS exception: the script's mistake, reported where
// it made it.
func throw(rt *sobek.Runtime, err error) {
	common.Throw(rt, err)
}
