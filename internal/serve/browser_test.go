package serve

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vigil-nsm/vigil/internal/analyze"
	"github.com/vigil-nsm/vigil/internal/insight"
	"github.com/vigil-nsm/vigil/internal/store/storetest"
)

// findChromium returns the browser binary, or "" when none is installed.
func findChromium() string {
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return ""
}

// TestBrowser drives the dashboard in headless Chromium: every page
// renders with data from an ingested capture, filters work, and an alert
// injected while the overview is open arrives over SSE. Screenshots go to
// the test's temporary directory (or VIGIL_SCREENSHOTS).
func TestBrowser(t *testing.T) {
	bin := findChromium()
	if bin == "" {
		if os.Getenv("VIGIL_BROWSER_REQUIRED") == "1" {
			t.Fatal("chromium not found and VIGIL_BROWSER_REQUIRED=1 (apt-get install chromium)")
		}
		t.Skip("chromium not installed (apt-get install chromium); set VIGIL_BROWSER_REQUIRED=1 to fail instead")
	}
	start := time.Now()
	srv, ts := browserServer(t)
	shots := os.Getenv("VIGIL_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	opts := append([]chromedp.ExecAllocatorOption{}, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.WindowSize(1440, 1000))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	// The first Run starts the browser, tied to ctx.
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	b := &browser{t: t, ctx: ctx, base: ts.URL, shots: shots}
	b.run(chromedp.Navigate(ts.URL+"/"),
		chromedp.Evaluate(fmt.Sprintf("localStorage.setItem('vigil-token', %q); localStorage.setItem('vigil-theme', 'light')", srv.Tokens().Read), nil),
		chromedp.Reload())
	b.pages(srv)
	b.liveAlert(srv)
	b.run(chromedp.Click("#theme", chromedp.ByQuery), chromedp.Sleep(200*time.Millisecond))
	b.shot("overview-dark")
	t.Logf("browser test took %v; screenshots in %s", time.Since(start).Round(time.Millisecond), shots)
}

// browserServer is a server with a synthetic capture ingested through the
// insight consumers (detection, IPv6 monitor, inventory) and a scripted
// attack stored through the sink.
func browserServer(t *testing.T) (*Server, *httptest.Server) {
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.Log = io.Discard
	var set *insight.Set
	cfg.Consumers = func(dir string, _ analyze.Consumer) ([]analyze.Consumer, error) {
		s, err := insight.New(insight.DefaultConfig(), dir)
		set = s
		if err != nil {
			return nil, err
		}
		return s.Consumers(), nil
	}
	cfg.Finish = func(string) error { return set.Close() }
	srv := startServer(t, cfg)
	pcap := filepath.Join(srv.cfg.inbox(), "sample.pcap")
	writeSample(t, pcap, 20000)
	if err := srv.IngestFile(context.Background(), pcap, time.Time{}); err != nil {
		t.Fatal(err)
	}
	injectInsight(t, srv)
	if _, err := srv.ComputeSituation(context.Background()); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return srv, ts
}

type browser struct {
	t           *testing.T
	ctx         context.Context
	base, shots string
}

func (b *browser) run(actions ...chromedp.Action) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Run(ctx, actions...); err != nil {
		b.t.Fatal(err)
	}
}

func (b *browser) shot(name string) {
	b.t.Helper()
	var png []byte
	b.run(chromedp.FullScreenshot(&png, 100))
	if err := os.WriteFile(filepath.Join(b.shots, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// page opens a route, waits for sel and returns its text, read in the
// page at once: live events re-render the dashboard, and a node found by
// one protocol call may be gone by the next ("No node with given id").
func (b *browser) page(route, sel string) string {
	b.t.Helper()
	var text string
	b.run(chromedp.Navigate(b.base+"/#/"+route), chromedp.WaitVisible(sel, chromedp.ByQuery),
		chromedp.Evaluate(fmt.Sprintf("document.querySelector(%q).textContent", sel), &text))
	return text
}

func (b *browser) count(sel string) int {
	b.t.Helper()
	var n int
	b.run(chromedp.Evaluate(fmt.Sprintf("document.querySelectorAll(%q).length", sel), &n))
	return n
}

func (b *browser) pages(srv *Server) {
	t := b.t
	if v := b.page("", "#index-value"); v == "" {
		t.Error("overview: no threat index")
	}
	b.run(chromedp.WaitVisible("#index-svg path.line", chromedp.ByQuery))
	if n := b.count("#talkers tbody tr"); n == 0 {
		t.Error("overview: no top talkers")
	}
	b.shot("overview")
	b.page("incidents", "#incidents-table")
	if n := b.count("#incidents-table tbody tr"); n == 0 {
		t.Error("incidents: empty")
	}
	b.shot("incidents")
	if txt := b.page("incident/inc-test", "#narrative"); !strings.Contains(txt, "scanned") {
		t.Errorf("incident narrative %q", txt)
	}
	if n := b.count("#evidence-conns tbody tr"); n == 0 {
		t.Error("incident: no evidence connections")
	}
	b.shot("incident")
	if txt := b.page("assets", "#assets-table"); !strings.Contains(txt, "Device") {
		t.Error("assets: no Device column (the device the inventory names, e.g. an ICS identity)")
	}
	all := b.count("#assets-table tbody tr")
	b.run(chromedp.SetValue(`#asset-filters input[name=finding]`, "iot.insecure_protocol", chromedp.ByQuery),
		chromedp.SetValue(`#asset-filters input[name=class]`, "camera", chromedp.ByQuery),
		chromedp.Click(`#asset-filters button`, chromedp.ByQuery),
		chromedp.WaitVisible(`#asset-filters input[value=camera]`, chromedp.ByQuery),
		chromedp.WaitVisible("#assets-table", chromedp.ByQuery))
	if n := b.count("#assets-table tbody tr"); n == 0 || n >= all {
		t.Errorf("assets filter: %d of %d rows", n, all)
	}
	b.shot("assets-filtered")
	host := b.firstHost()
	b.page("host/"+host, "#host-flows")
	b.shot("host")
	b.page("ipv6", "#v6-share")
	b.shot("ipv6")
	b.page("graph", "#graph-svg")
	if n := b.count("#graph-svg path.edge.attack"); n == 0 {
		t.Error("graph: no attack edge")
	}
	b.shot("graph")
	b.page("flows?port=53", "#flows-table")
	b.page("search?q=scan", "#search-alerts")
	b.page("iot", "#iot-table")
	b.page("sensor", "#runs")
	b.shot("sensor")
}

func (b *browser) firstHost() string {
	var h string
	b.run(chromedp.Text(`#assets-table tbody a`, &h, chromedp.ByQuery))
	if h == "" {
		b.t.Fatal("no host link on the assets page")
	}
	return h
}

// liveAlert opens the overview, injects an alert and waits for the ticker.
func (b *browser) liveAlert(srv *Server) {
	b.page("", "#ticker")
	b.run(chromedp.WaitVisible("#live.on", chromedp.ByQuery))
	srv.Sink().Record("alerts", storetest.AlertJSON(1767225900, "c2.beacon", 1, "10.16.1.17", "203.0.113.66"))
	if err := srv.Sink().Flush(); err != nil {
		b.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Run(ctx, chromedp.WaitVisible(`#ticker li.new`, chromedp.ByQuery)); err != nil {
		b.t.Fatalf("live alert did not arrive over SSE: %v", err)
	}
	var txt string
	b.run(chromedp.Text("#ticker li.new", &txt, chromedp.ByQuery))
	if !strings.Contains(txt, "c2.beacon") {
		b.t.Errorf("ticker shows %q", txt)
	}
	b.shot("live-alert")
}
