package conformance

import (
	"strings"
	"testing"

	"github.com/vigil-nsm/vigil/internal/record"
)

func TestCompareLog(t *testing.T) {
	const tsv = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n" +
		"#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tquery\tanswers\tTTLs\trtt\tAA\n" +
		"#types\ttime\taddr\tport\taddr\tport\tstring\tvector[string]\tvector[interval]\tinterval\tbool\n" +
		"1.000000\t10.0.0.1\t5000\t10.0.0.2\t53\ta\\xffb\t1.2.3.4,5.6.7.8\t60.000000,60.000000\t0.001000\tT\n" +
		"2.000000\t10.0.0.1\t5000\t10.0.0.2\t53\tx\t-\t-\t-\tF\n" +
		"3.000000\t10.0.0.9\t5000\t10.0.0.2\t53\tgone\t(empty)\t-\t-\tF\n"
	base, err := record.ReadZeekTSV(strings.NewReader(tsv))
	if err != nil {
		t.Fatal(err)
	}
	ours, err := ReadJSONLogReader(strings.NewReader(
		`{"ts":2.0,"id.orig_h":"10.0.0.1","id.orig_p":5000,"id.resp_h":"10.0.0.2","id.resp_p":53,"query":"x","AA":true}` + "\n" +
			`{"ts":1.0,"id.orig_h":"10.0.0.1","id.orig_p":5000,"id.resp_h":"10.0.0.2","id.resp_p":53,"query":"a\u00ffb","answers":["1.2.3.4","5.6.7.8"],"TTLs":[60.0,60],"rtt":0.001,"AA":true}` + "\n" +
			`{"ts":3.0,"id.orig_h":"10.0.0.3","id.orig_p":5000,"id.resp_h":"10.0.0.2","id.resp_p":53,"query":"gone","AA":false}` + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	spec := &LogSpec{
		Fields: []Field{{"query", Text}, {"answers", TextList}, {"TTLs", SecondsList}, {"rtt", Seconds}, {"AA", Text}},
		Keys:   tupleFields,
	}
	r := CompareLog(base, ours, spec)
	// Row 1 pairs with the second record (field agreement beats order) and
	// agrees on everything ("\xff" is the byte JSON writes as \u00ff);
	// row 2 differs on AA; row 3 has no record of its tuple (missing) and
	// the third record none of its baseline (extra).
	if r.Zeek != 3 || r.Matched != 2 || r.FullAgree != 1 || r.Missing != 1 || r.Extra != 1 {
		t.Fatalf("result %+v\n%s", r, strings.Join(r.Diffs, "\n"))
	}
	if c := r.Fields["AA"]; c.Agree != 1 || c.Total != 4 {
		t.Errorf("AA %+v, want 1/4 (missing and extra count as disagreeing)", c)
	}
	if a, n := r.FieldShare(); a != 9 || n != 20 {
		t.Errorf("field share %d/%d, want 9/20\n%s", a, n, strings.Join(r.Diffs, "\n"))
	}
}

func TestIndexRowFlags(t *testing.T) {
	for _, tc := range []struct {
		cmd        string
		bare, noCk bool
	}{
		{"zeek -b -C -r $TRACES/x.pcap %INPUT", true, true},
		{"zeek -DCr $TRACES/x.pcap", false, true},
		{"zeek -Cr $TRACES/x.pcap --foo-C", false, true},
		{"zeek -r $TRACES/x-C.pcap -B dpd", false, false},
		{"", false, true}, // unknown: the baselines show the packets analysed
	} {
		r := IndexRow{Cmd: tc.cmd}
		if r.Bare() != tc.bare || r.IgnoreChecksums() != tc.noCk {
			t.Errorf("%q: bare %v ignore checksums %v, want %v %v", tc.cmd, r.Bare(), r.IgnoreChecksums(), tc.bare, tc.noCk)
		}
	}
}
