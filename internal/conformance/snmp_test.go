package conformance

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/record"
	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// snmpSpec compares snmp.log, one record per connection.
var snmpSpec = &LogSpec{
	Fields: []Field{
		{"duration", Seconds}, {"version", Text}, {"community", Text},
		{"get_requests", Text}, {"get_bulk_requests", Text}, {"get_responses", Text},
		{"set_requests", Text}, {"display_string", Text}, {"up_since", Seconds},
	},
	Keys:  tupleFields,
	Label: "version",
}

// snmpFloors are set just under what TestSNMPConformance reaches.
var snmpFloors = logFloors{rows: 0.99, fields: 0.999}

// TestSNMPConformance compares the pipeline's snmp.log with Zeek's
// snmp.log baselines and with snmp.log rows derived from the event dumps
// (snmp-test.zeek's out1…out4) of the v1 and v2 tests: per connection the
// version (the test's), the first community and the binding counts per
// PDU type, and sysDescr when a response carries it.
func TestSNMPConformance(t *testing.T) {
	zeekDir := testcorpus.Require(t, "zeek")
	rows, err := ReadZeekIndex(filepath.Join(zeekDir, "INDEX-trace-to-baseline.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	jobs, skipped := singleTraceJobs(rows, "snmp.log", nil)
	logExcluded(t, skipped)
	logConformance(t, zeekDir, "snmp", jobs, snmpSpec, snmpFloors)

	var all Result
	for _, r := range rows {
		var version string
		switch r.Dir {
		case "scripts.base.protocols.snmp.v1":
			version = "1"
		case "scripts.base.protocols.snmp.v2":
			version = "2c"
		default:
			continue
		}
		out := outFileFor(r)
		if out == "" {
			t.Errorf("%s: no output file for %s in %q", r.Dir, r.Trace, r.Cmd)
			continue
		}
		base, err := snmpFromEvents(filepath.Join(zeekDir, "testing/btest/Baseline", r.Dir, out), version)
		if err != nil {
			t.Fatal(err)
		}
		ours := pipelineLog(t, filepath.Join(zeekDir, "testing/btest/Traces", r.Trace), r.IgnoreChecksums(), "snmp")
		res := CompareLog(base, ours, snmpSpec)
		a, n := res.FieldShare()
		t.Logf("derived: fields %d/%d rows %d/%d missing %d extra %d  %s (%s/%s)", a, n, res.FullAgree, res.Zeek, res.Missing, res.Extra, r.Trace, r.Dir, out)
		for i, d := range res.Diffs {
			if i == 6 {
				break
			}
			t.Logf("           %s", d)
		}
		all.Add(res)
	}
	a, n := all.FieldShare()
	t.Logf("overall derived snmp.log: rows %d/%d, missing %d, extra %d; fields %d/%d", all.FullAgree, all.Zeek, all.Missing, all.Extra, a, n)
	if n == 0 || float64(a)/float64(n) < snmpFloors.fields || float64(all.FullAgree) < snmpFloors.rows*float64(all.Zeek) {
		t.Errorf("derived snmp.log agreement below the floors")
	}
}

// outFileFor finds the file the index row's trace was dumped to
// ("zeek … $TRACES/X.pcap … >out2").
func outFileFor(r IndexRow) string {
	for _, part := range strings.Split(r.Cmd, "||") {
		if !strings.Contains(part, "$TRACES/"+r.Trace+" ") {
			continue
		}
		if i := strings.LastIndex(part, ">"); i >= 0 {
			return strings.TrimSpace(part[i+1:])
		}
	}
	return ""
}

var snmpConnRE = regexp.MustCompile(`^  \[orig_h=([^,]+), orig_p=(\d+)/udp, resp_h=([^,]+), resp_p=(\d+)/udp`)

// snmpFromEvents turns an snmp-test.zeek event dump into snmp.log rows
// (Zeek TSV) as base/protocols/snmp/main.zeek would write them.
func snmpFromEvents(path, version string) (*record.ZeekTSV, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	type row struct {
		id                      [4]string
		community               string
		hasComm                 bool
		gets, bulks, resps, set int
		display                 string
		hasDisplay              bool
	}
	byConn := map[[4]string]*row{}
	var order [][4]string
	var cur *row
	event, lastOID := "", ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "snmp_"):
			event, cur = l, nil
		case snmpConnRE.MatchString(l):
			m := snmpConnRE.FindStringSubmatch(l)
			id := [4]string{m[1], m[2], m[3], m[4]}
			if byConn[id] == nil {
				byConn[id] = &row{id: id}
				order = append(order, id)
			}
			cur = byConn[id]
		case cur != nil && strings.HasPrefix(l, "  [community="):
			if !cur.hasComm {
				cur.community = strings.TrimSuffix(strings.TrimPrefix(l, "  [community="), "]")
				cur.hasComm = true
			}
		case cur != nil && strings.HasPrefix(l, "    oid: "):
			lastOID = strings.TrimPrefix(l, "    oid: ")
			switch event {
			case "snmp_get_request", "snmp_get_next_request":
				cur.gets++
			case "snmp_get_bulk_request":
				cur.bulks++
			case "snmp_response":
				cur.resps++
			case "snmp_set_request":
				cur.set++
			}
		case cur != nil && event == "snmp_response" && lastOID == "1.3.6.1.2.1.1.1.0" && strings.HasPrefix(l, "    value (tag=0x04): "):
			cur.display, cur.hasDisplay = strings.TrimPrefix(l, "    value (tag=0x04): "), true
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tsnmp\n")
	b.WriteString("#fields\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tversion\tcommunity\tget_requests\tget_bulk_requests\tget_responses\tset_requests\tdisplay_string\n")
	opt := func(s string, ok bool) string {
		switch {
		case !ok:
			return "-"
		case s == "":
			return "(empty)"
		}
		return s
	}
	for _, id := range order {
		r := byConn[id]
		fmt.Fprintf(&b, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\n", id[0], id[1], id[2], id[3], version,
			opt(r.community, r.hasComm), r.gets, r.bulks, r.resps, r.set, opt(r.display, r.hasDisplay))
	}
	return record.ReadZeekTSV(strings.NewReader(b.String()))
}
