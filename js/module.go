// Package js is the k6 binding of the registry client: it registers
// k6/x/registry, turns JS arguments into registry calls, and records every
// call as k6 metrics. The protocol itself lives in package registry.
package js

import (
	"fmt"

	"github.com/grafana/sobek"
	"go.k6.io/k6/v2/js/common"
	"go.k6.io/k6/v2/js/modules"
	"go.k6.io/k6/v2/metrics"
)

// ImportPath is the module's name in scripts.
const ImportPath = "k6/x/registry"

// New returns the module for modules.Register.
func New() modules.Module { return &rootModule{scrapers: &scraperStore{}} }

// rootModule is the module of the whole test run, shared by its VUs.
type rootModule struct {
	scrapers *scraperStore // registry.ServerMetrics' scrapers, one per endpoint
}

var (
	_ modules.Module   = &rootModule{}
	_ modules.Instance = &ModuleInstance{}
)

// NewModuleInstance makes the module's instance for one VU.
func (root *rootModule) NewModuleInstance(vu modules.VU) modules.Instance {
	mi := &ModuleInstance{vu: vu, root: root, metricsRegistry: vu.InitEnv().Registry}
	m, err := registerMetrics(mi.metricsRegistry)
	if err == nil {
		err = registerServerMetrics(mi.metricsRegistry)
	}
	if err != nil {
		common.Throw(vu.Runtime(), fmt.Errorf("k6/x/registry: registering metrics: %w", err))
	}
	mi.metrics = m
	return mi
}

// ModuleInstance is the module in one VU.
type ModuleInstance struct {
	vu      modules.VU
	root    *rootModule
	metrics *registryMetrics
	// metricsRegistry registers a server metric first seen mid-run.
	metricsRegistry *metrics.Registry
}

// Exports is registry.Client, registry.ServerMetrics, registry.generate,
// registry.blob, registry.load, registry.artifact, registry.mix and
// registry.replay, as the default export and as named ones.
func (mi *ModuleInstance) Exports() modules.Exports {
	named := map[string]any{
		"Client":        mi.newClient,
		"ServerMetrics": mi.newServerMetrics,
		"generate":      mi.generate,
		"blob":          mi.blob,
		"load":          mi.load,
		"artifact":      mi.artifact,
		"mix":           mi.mix,
		"replay":        mi.replay,
	}
	return modules.Exports{Default: named, Named: named}
}

// throw raises err as a JS exception: the script's mistake, reported where
// it made it.
func throw(rt *sobek.Runtime, err error) {
	common.Throw(rt, err)
}
