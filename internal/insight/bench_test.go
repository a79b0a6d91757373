package insight

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// writeConnLog writes a Zeek TSV conn.log of rows connections, 100 a
// second, from a /14 of internal hosts to 20 external servers: most
// (source, destination) pairs are new, as on an ISP's or a large
// campus's network, which is what fills the detectors' tables.
func writeConnLog(tb testing.TB, path string, rows int) {
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	fmt.Fprint(w, "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n"+
		"#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\thistory\torig_pkts\tresp_pkts\n"+
		"#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tstring\tcount\tcount\n")
	rng := rand.New(rand.NewPCG(1, 2))
	ts := 1767225600.0
	for i := range rows {
		ts += 0.01
		fmt.Fprintf(w, "%.6f\tC%d\t10.%d.%d.%d\t%d\t192.0.2.%d\t443\ttcp\tssl\t%.3f\t%d\t%d\tSF\tShADadFf\t10\t12\n",
			ts, i, rng.IntN(4), rng.IntN(256), 1+rng.IntN(254), 1024+rng.IntN(64000), 1+rng.IntN(20),
			rng.Float64()*10, 100+rng.IntN(4900), 100+rng.IntN(49900))
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkZeekConnLog: the whole analysis (detectors, IPv6 monitor,
// inventory) of a 200,000-row Zeek conn.log given as input; reports
// records per second.
func BenchmarkZeekConnLog(b *testing.B) {
	const rows = 200_000
	path := filepath.Join(b.TempDir(), "conn.log")
	writeConnLog(b, path, rows)
	for b.Loop() {
		runWorkers(b, 0, nil, path)
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
