package replay

import (
	"net/http"
	"strconv"
	"strings"
)

// anonymiser gives each name of the source a stable id, in order of first
// sight: the same log always gives the same ids. Nothing of a name is kept
// but, for repositories and tags, its length: an id is padded to it, so a
// list of tags or repositories serves as many bytes as the source's.
type anonymiser struct {
	kinds map[string]*idSpace
}

type idSpace struct {
	prefix string
	padded bool
	ids    map[string]string
}

// unpadded starts a name the planner made up, whose id is not padded.
const unpadded = "\x00"

func newAnonymiser() *anonymiser {
	a := &anonymiser{kinds: map[string]*idSpace{}}
	for _, k := range []struct {
		prefix string
		padded bool
	}{{"r", true}, {"t", true}, {"b", false}, {"m", false}, {"u", false}, {"c", false}} {
		a.kinds[k.prefix] = &idSpace{prefix: k.prefix, padded: k.padded, ids: map[string]string{}}
	}
	return a
}

func (a *anonymiser) id(prefix, name string) string {
	s := a.kinds[prefix]
	if id, ok := s.ids[name]; ok {
		return id
	}
	id := s.prefix + strconv.Itoa(len(s.ids)+1)
	if s.padded && len(id) < len(name) && !strings.HasPrefix(name, unpadded) {
		// Letters after the number, so no padded id is another's prefix
		// plus digits; repository components must end in a letter or digit.
		id += strings.Repeat("x", len(name)-len(id))
	}
	s.ids[name] = id
	return id
}

// repo anonymises a repository name.
func (a *anonymiser) repo(name string) string { return a.id("r", name) }

// tag anonymises a tag.
func (a *anonymiser) tag(name string) string { return a.id("t", name) }

// blob anonymises a blob by its digest.
func (a *anonymiser) blob(key string) string { return a.id("b", key) }

// manifest anonymises a manifest by its digest, or a key standing for one.
func (a *anonymiser) manifest(key string) string { return a.id("m", key) }

// user anonymises a user name.
func (a *anonymiser) user(name string) string {
	if name == "" {
		return ""
	}
	return a.id("u", name)
}

// clientIndexes numbers a log's clients in order of first sight, as the
// planner does and as compare must to match them: index i is the plan's
// client c<i+1>, and the replay's requests of it carry ClientAddress(i).
func clientIndexes(reqs []Request) map[string]int {
	out := map[string]int{}
	for i := range reqs {
		// What the plan leaves out does not number clients: a 401 from an
		// access log, its time cut to the second, would put its client first.
		if reqs[i].Route.Kind == RouteUnknown || reqs[i].Status == http.StatusUnauthorized {
			continue
		}
		if _, ok := out[reqs[i].Client]; !ok {
			out[reqs[i].Client] = len(out)
		}
	}
	return out
}

// ClientAddress is the X-Forwarded-For the replay sends for client i, so
// the target's log tells the clients apart as the source's did: a loopback
// address, never a real one, 127.128.0.0 and up.
func ClientAddress(i int) string {
	return "127." + strconv.Itoa(128+(i>>16)&127) + "." + strconv.Itoa(i>>8&255) + "." + strconv.Itoa(i&255)
}

// clientOfAddress reads ClientAddress back.
func clientOfAddress(addr string) (int, bool) {
	parts := strings.Split(addr, ".")
	if len(parts) != 4 || parts[0] != "127" {
		return 0, false
	}
	index := 0
	for k, p := range parts[1:] {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 || v > 255 || k == 0 && v < 128 {
			return 0, false
		}
		if k == 0 {
			v -= 128
		}
		index = index<<8 | v
	}
	return index, true
}
