package replay

import (
	"maps"
	"net/http"

	"github.com/xk6-registry/xk6-registry/registry"
)

// ClientConfig is the configuration of the client that replays source
// client i: base's, with the replay's User-Agent and an X-Forwarded-For
// naming the client (ClientAddress), so the target's log tells the
// clients apart as the source's did and compare can pair them.
func ClientConfig(base registry.Config, i int) registry.Config {
	cfg := base
	cfg.Headers = maps.Clone(base.Headers)
	if cfg.Headers == nil {
		cfg.Headers = http.Header{}
	}
	cfg.Headers.Set("X-Forwarded-For", ClientAddress(i))
	cfg.UserAgent = UserAgent
	return cfg
}

// WarmUpConfig is the configuration of the warm-up's client: base's, with
// the User-Agent compare knows to leave out.
func WarmUpConfig(base registry.Config) registry.Config {
	cfg := base
	cfg.UserAgent = WarmUpUserAgent
	return cfg
}
