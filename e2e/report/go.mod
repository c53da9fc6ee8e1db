// The report test drives headless Chromium. Its dependencies live in this
// module of their own: xk6 builds k6 with the extension's go.mod, so a test
// dependency there would change every user's k6 (chromedp's cdproto is
// k6's browser module's too). chromedp v0.14.2 with its cdproto: the test
// is written to its API, which v0.20 replaced with generic actions.
module github.com/xk6-registry/xk6-registry/e2e/report

go 1.26.8

require (
	github.com/chromedp/cdproto v0.0.0-20250803210736-d308e07a266d
	github.com/chromedp/chromedp v0.14.2
	github.com/grafana/xk6-dashboard-assets v0.1.2
	github.com/stretchr/testify v1.11.1
)

require (
	github.com/chromedp/sysutil v1.1.0 // indirect
	github.com/davecgh/go-spew v1.1.1 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	github.com/gobwas/httphead v0.1.0 // indirect
	github.com/gobwas/pool v0.2.1 // indirect
	github.com/gobwas/ws v1.4.0 // indirect
	github.com/pmezard/go-difflib v1.0.0 // indirect
	golang.org/x/sys v0.34.0 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)
