package replay

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"time"
)

// SynthOptions shape a synthetic log.
type SynthOptions struct {
	Clients  int
	Duration time.Duration
	Seed     uint64
}

// DefaultSynthOptions are an hour of a hundred clients.
func DefaultSynthOptions() SynthOptions {
	return SynthOptions{Clients: 100, Duration: time.Hour, Seed: 1}
}

// Validate checks the options, naming what is wrong.
func (o SynthOptions) Validate() error {
	if o.Clients < 3 || o.Duration < time.Minute {
		return fmt.Errorf("synth: want at least 3 clients and a minute, got %d clients and %s", o.Clients, o.Duration)
	}
	return nil
}

// synthStart is the synthetic trace's first second.
var synthStart = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

// Synthesize writes a distribution v3 JSON log of a registry's day, shaped
// like the published registry workloads (FAST'18): most requests are
// reads, a few images are hot (Zipf), pulls come in bursts when a new
// image rolls out, CI clients push new tags of their repositories, and
// pollers HEAD their tags and list them. It returns the requests written.
// Its addresses are loopback ones; nothing in it is real.
func Synthesize(w io.Writer, opts SynthOptions) (int, error) {
	if err := opts.Validate(); err != nil {
		return 0, err
	}
	// A workload, not a secret: the seed makes it again.
	g := &synthesizer{rnd: rand.New(rand.NewPCG(opts.Seed, 17)), opts: opts} // #nosec G404 -- reproducible by design
	g.makeImages()
	pushers := max(1, opts.Clients*12/100)
	pollers := max(1, opts.Clients*8/100)
	for c := range opts.Clients {
		switch {
		case c < pushers:
			g.pusher(c)
		case c < pushers+pollers:
			g.poller(c)
		default:
			g.puller(c)
		}
	}
	g.waves(pushers+pollers, opts.Clients)
	// A registry writes a line when a request ends.
	sort.SliceStable(g.lines, func(i, j int) bool { return g.lines[i].end.Before(g.lines[j].end) })
	bw := bufio.NewWriterSize(w, 1<<20)
	enc := json.NewEncoder(bw)
	for _, l := range g.lines {
		if err := enc.Encode(l.record()); err != nil {
			return 0, err
		}
	}
	return len(g.lines), bw.Flush()
}

type synthImage struct {
	repo, tag, manifest string
	manifestSize        int64
	blobs               []synthBlob // config first
}

type synthBlob struct {
	digest string
	size   int64
}

type synthLine struct {
	start, end       time.Time
	method, uri      string
	status           int
	written          int64
	client           int
	repo, ref, dgst  string
	uuid             string
	user, agent      string
	errCode, errText string
}

type synthesizer struct {
	rnd    *rand.Rand
	opts   SynthOptions
	images []*synthImage
	zipf   *rand.Zipf
	lines  []synthLine
	ids    int
}

func (g *synthesizer) digest() string {
	var b [32]byte
	for i := 0; i < len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], g.rnd.Uint64())
	}
	return "sha256:" + hex.EncodeToString(b[:])
}

// layerSize is log-normal around 2 MiB, from 1 KiB to 256 MiB.
func (g *synthesizer) layerSize() int64 {
	n := math.Exp(math.Log(2<<20) + 1.6*g.rnd.NormFloat64())
	return int64(min(max(n, 1<<10), 256<<20))
}

// makeImages makes the registry's content before the trace: forty
// repositories of a few tags each, built on four base images.
func (g *synthesizer) makeImages() {
	var bases [][]synthBlob
	for range 4 {
		var layers []synthBlob
		for range 2 + g.rnd.IntN(3) {
			layers = append(layers, synthBlob{g.digest(), g.layerSize()})
		}
		bases = append(bases, layers)
	}
	for r := range 40 {
		repo := fmt.Sprintf("org%d/app%d", r%7, r)
		for t := range 1 + g.rnd.IntN(4) {
			g.images = append(g.images, g.image(repo, fmt.Sprintf("v1.%d", t), bases[g.rnd.IntN(len(bases))]))
		}
	}
	g.zipf = rand.NewZipf(g.rnd, 1.2, 1, uint64(len(g.images)-1)) // #nosec G115 -- at least one image
}

func (g *synthesizer) image(repo, tag string, base []synthBlob) *synthImage {
	img := &synthImage{repo: repo, tag: tag, manifest: g.digest()}
	img.blobs = append(img.blobs, synthBlob{g.digest(), 1<<10 + g.rnd.Int64N(7<<10)})
	img.blobs = append(img.blobs, base...)
	for range 1 + g.rnd.IntN(3) {
		img.blobs = append(img.blobs, synthBlob{g.digest(), g.layerSize()})
	}
	img.manifestSize = int64(250 + 160*len(img.blobs))
	return img
}

// at is a time into the trace.
func (g *synthesizer) at(s float64) time.Time {
	return synthStart.Add(time.Duration(s * float64(time.Second)))
}

// add logs a request starting at s seconds that takes d, and returns when
// it ended, in seconds.
func (g *synthesizer) add(s float64, l synthLine, d float64) float64 {
	l.start, l.end = g.at(s), g.at(s+d)
	if l.agent == "" {
		l.agent = "docker/24.0.7 go/go1.20.10 os/linux arch/amd64"
	}
	if s+d < g.opts.Duration.Seconds() {
		g.lines = append(g.lines, l)
	}
	return s + d
}

func (g *synthesizer) ms(mean float64) float64 { return (mean/2 + g.rnd.ExpFloat64()*mean/2) / 1000 }

// transfer is how long moving n bytes takes at about 100 MB/s.
func (g *synthesizer) transfer(n int64) float64 { return g.ms(4) + float64(n)/100e6 }

// pull logs a docker pull of img: HEAD by tag, GET by digest, then the
// blobs not cached, three at once.
func (g *synthesizer) pull(c int, s float64, img *synthImage) float64 {
	user := fmt.Sprintf("robot-%d", c%9)
	s = g.add(s, synthLine{method: "HEAD", uri: "/v2/" + img.repo + "/manifests/" + img.tag, status: 200, client: c, repo: img.repo, ref: img.tag, user: user}, g.ms(8))
	s = g.add(s, synthLine{method: "GET", uri: "/v2/" + img.repo + "/manifests/" + img.manifest, status: 200, written: img.manifestSize, client: c, repo: img.repo, ref: img.manifest, user: user}, g.ms(10))
	lanes := []float64{s, s, s}
	for i, b := range img.blobs {
		if i > 0 && g.rnd.Float64() < 0.3 {
			continue // a layer the node has
		}
		k := 0
		for j := range lanes {
			if lanes[j] < lanes[k] {
				k = j
			}
		}
		lanes[k] = g.add(lanes[k], synthLine{method: "GET", uri: "/v2/" + img.repo + "/blobs/" + b.digest, status: 200, written: b.size, client: c, repo: img.repo, dgst: b.digest, user: user}, g.transfer(b.size))
	}
	return max(lanes[0], lanes[1], lanes[2])
}

// puller pulls now and then, hot images most; one pull in fifty asks for
// a tag that is not there.
func (g *synthesizer) puller(c int) {
	for s := g.rnd.ExpFloat64() * 25; s < g.opts.Duration.Seconds(); s += g.rnd.ExpFloat64() * 25 {
		img := g.images[g.zipf.Uint64()]
		if g.rnd.IntN(50) == 0 {
			g.add(s, synthLine{method: "HEAD", uri: "/v2/" + img.repo + "/manifests/v9.9", status: 404, written: 96, client: c, repo: img.repo, ref: "v9.9",
				errCode: "manifest unknown", errText: "manifest unknown"}, g.ms(5))
			continue
		}
		s = g.pull(c, s, img)
	}
}

// waves are roll-outs: every ten minutes, a new image that most pullers
// pull within a minute.
func (g *synthesizer) waves(from, to int) {
	for s := 300.0; s < g.opts.Duration.Seconds(); s += 600 {
		img := g.images[g.rnd.IntN(len(g.images))]
		for c := from; c < to; c++ {
			if g.rnd.Float64() < 0.7 {
				g.pull(c, s+g.rnd.Float64()*60, img)
			}
		}
	}
}

// pusher is a CI job: every few minutes a new tag of its repository, with
// a new layer or two on the image's base, uploaded in one PATCH each.
func (g *synthesizer) pusher(c int) {
	user := fmt.Sprintf("ci-%d", c)
	agent := "buildkit/v0.12 containerd/1.7"
	n := 0
	for s := g.rnd.Float64() * 200; s < g.opts.Duration.Seconds(); s += 120 + g.rnd.ExpFloat64()*180 {
		base := g.images[c%len(g.images)]
		n++
		img := g.image(base.repo, fmt.Sprintf("build-%d-%d", c, n), base.blobs[1:len(base.blobs)-1])
		t := s
		for _, b := range img.blobs {
			existing := slicesContains(base.blobs, b)
			status, written := 404, int64(157)
			if existing {
				status, written = 200, 0
			}
			t = g.add(t, synthLine{method: "HEAD", uri: "/v2/" + img.repo + "/blobs/" + b.digest, status: status, written: written, client: c, repo: img.repo, dgst: b.digest, user: user, agent: agent}, g.ms(4))
			if existing {
				continue
			}
			g.ids++
			uuid := fmt.Sprintf("%08x-0000-4000-8000-%012x", g.ids, g.ids)
			t = g.add(t, synthLine{method: "POST", uri: "/v2/" + img.repo + "/blobs/uploads/", status: 202, client: c, repo: img.repo, user: user, agent: agent}, g.ms(6))
			t = g.add(t, synthLine{method: "PATCH", uri: "/v2/" + img.repo + "/blobs/uploads/" + uuid + "?_state=x", status: 202, client: c, repo: img.repo, uuid: uuid, user: user, agent: agent}, g.transfer(b.size))
			t = g.add(t, synthLine{method: "PUT", uri: "/v2/" + img.repo + "/blobs/uploads/" + uuid + "?_state=x&digest=" + b.digest, status: 201, client: c, repo: img.repo, uuid: uuid, user: user, agent: agent}, g.ms(10))
		}
		g.add(t, synthLine{method: "PUT", uri: "/v2/" + img.repo + "/manifests/" + img.tag, status: 201, client: c, repo: img.repo, ref: img.tag, user: user, agent: agent}, g.ms(12))
	}
}

func slicesContains(list []synthBlob, b synthBlob) bool {
	for _, x := range list {
		if x == b {
			return true
		}
	}
	return false
}

// poller HEADs a tag every thirty seconds and lists its repository's tags
// every five minutes.
func (g *synthesizer) poller(c int) {
	img := g.images[g.zipf.Uint64()]
	agent := "argocd-image-updater/0.12"
	for s := g.rnd.Float64() * 30; s < g.opts.Duration.Seconds(); s += 30 {
		g.add(s, synthLine{method: "HEAD", uri: "/v2/" + img.repo + "/manifests/" + img.tag, status: 200, client: c, repo: img.repo, ref: img.tag, agent: agent}, g.ms(6))
		if int(s)%300 < 30 {
			g.add(s+0.05, synthLine{method: "GET", uri: "/v2/" + img.repo + "/tags/list", status: 200, written: 120, client: c, repo: img.repo, agent: agent}, g.ms(8))
		}
	}
}

// record is the line as distribution v3 writes it.
func (l synthLine) record() map[string]any {
	m := map[string]any{
		"go.version": "go1.26.8", "http.request.host": "registry.example.test", "http.request.id": fmt.Sprintf("%x", l.start.UnixNano()),
		"http.request.method": l.method, "http.request.remoteaddr": fmt.Sprintf("127.1.%d.%d:%d", l.client/256, l.client%256, 40000+l.client),
		"http.request.uri": l.uri, "http.request.useragent": l.agent, "http.response.duration": l.end.Sub(l.start).String(),
		"http.response.status": l.status, "http.response.written": l.written, "instance.id": "synthetic",
		"level": "info", "msg": "response completed", "time": l.end.Format(time.RFC3339Nano), "version": "v3.1.2",
	}
	if l.repo != "" {
		m["vars.name"] = l.repo
	}
	if l.ref != "" {
		m["vars.reference"] = l.ref
	}
	if l.dgst != "" {
		m["vars.digest"] = l.dgst
	}
	if l.uuid != "" {
		m["vars.uuid"] = l.uuid
	}
	if l.user != "" {
		m["auth.user.name"] = l.user
	}
	if l.errCode != "" {
		m["err.code"], m["err.message"], m["level"], m["msg"] = l.errCode, l.errText, "error", "response completed with error"
	}
	return m
}
