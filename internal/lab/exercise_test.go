package lab

import (
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// testLabels are the labels of a Mirai run, as the lab writes them.
func testLabels() *Labels {
	return &Labels{
		Scenario: "mirai", Description: "Mirai-style bot", Difficulty: "medium",
		ToolCommands:    []string{"ip netns exec vgl-atk hping3 -S -p 23 -M 172097566 -c 1 10.66.0.30"},
		Attacker:        []string{"10.66.0.66", "fd66::66"},
		AttackerMAC:     "02:66:00:00:00:42",
		Victims:         []string{"10.66.0.30", "10.66.0.10"},
		StartTS:         1_800_000_100.25,
		EndTS:           1_800_000_130.75,
		ExpectedClasses: []string{"iot.mirai_scan", "iot.default_creds"},
		MITRE:           []string{"T1046", "T1078.001"},
		BenignHosts:     []string{"10.66.0.21"},
		Phases:          []Phase{{Name: "telnet scan", StartTS: 1_800_000_100.25, EndTS: 1_800_000_110}},
		Capture:         CaptureInfo{File: "mirai.pcap", StartTS: 1_800_000_097, EndTS: 1_800_000_133, Packets: 900},
	}
}

func choiceOf(e Exercise, class string) string {
	return fmt.Sprint(slices.Index(e.Choices(), class) + 1)
}

func TestExerciseScore(t *testing.T) {
	e := Exercise{Labels: testLabels(), Location: time.UTC}
	start := Time(e.Labels.StartTS).UTC()
	perfect := Answers{Attacker: "10.66.0.66", Technique: choiceOf(e, "iot.mirai_scan"),
		Victims: "10.66.0.30, 10.66.0.10", Start: fmt.Sprint(e.Labels.StartTS), End: "1800000131"}
	tests := []struct {
		name   string
		change func(a *Answers)
		want   []float64 // attacker, technique, victims, start, end
	}{
		{"perfect", func(*Answers) {}, []float64{1, 1, 1, 1, 1}},
		{"attacker by IPv6", func(a *Answers) { a.Attacker = "fd66::66" }, []float64{1, 1, 1, 1, 1}},
		{"attacker by link-local", func(a *Answers) { a.Attacker = "fe80::66:ff:fe00:42" }, []float64{1, 1, 1, 1, 1}},
		{"attacker by MAC", func(a *Answers) { a.Attacker = "02:66:00:00:00:42" }, []float64{1, 1, 1, 1, 1}},
		{"wrong attacker", func(a *Answers) { a.Attacker = "10.66.0.21" }, []float64{0, 1, 1, 1, 1}},
		{"other right class", func(a *Answers) { a.Technique = choiceOf(e, "iot.default_creds") }, []float64{1, 1, 1, 1, 1}},
		{"wrong class", func(a *Answers) { a.Technique = choiceOf(e, "scan.vertical") }, []float64{1, 0, 1, 1, 1}},
		{"not a number", func(a *Answers) { a.Technique = "mirai" }, []float64{1, 0, 1, 1, 1}},
		{"one victim of two", func(a *Answers) { a.Victims = "10.66.0.30" }, []float64{1, 1, 0.5, 1, 1}},
		{"victim by IPv6", func(a *Answers) { a.Victims = "fd66::30 fd66::10" }, []float64{1, 1, 1, 1, 1}},
		{"a wrong victim cancels a right one", func(a *Answers) { a.Victims = "10.66.0.30, 10.66.0.22" }, []float64{1, 1, 0, 1, 1}},
		{"start as clock time", func(a *Answers) { a.Start = start.Add(3 * time.Second).Format("15:04:05") }, []float64{1, 1, 1, 1, 1}},
		{"start as RFC 3339", func(a *Answers) { a.Start = start.Format(time.RFC3339) }, []float64{1, 1, 1, 1, 1}},
		{"start 20 s off", func(a *Answers) { a.Start = fmt.Sprint(e.Labels.StartTS - 20) }, []float64{1, 1, 1, 0.5, 1}},
		{"end a minute off", func(a *Answers) { a.End = fmt.Sprint(e.Labels.EndTS + 60) }, []float64{1, 1, 1, 1, 0}},
		{"no time", func(a *Answers) { a.End = "" }, []float64{1, 1, 1, 1, 0}},
		{"garbage time", func(a *Answers) { a.End = "yesterday" }, []float64{1, 1, 1, 1, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := perfect
			tt.change(&a)
			s := e.Score(a)
			var got []float64
			for _, m := range s.Marks {
				got = append(got, m.Points)
				if m.Explanation == "" {
					t.Errorf("%s: no explanation", m.Question)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("marks %v, want %v", got, tt.want)
			}
			if s.Max != 5 {
				t.Errorf("max %v", s.Max)
			}
		})
	}
}

func TestExerciseBenign(t *testing.T) {
	l := testLabels()
	l.ExpectedClasses, l.MITRE, l.Attacker, l.AttackerMAC, l.Victims = nil, nil, nil, "", nil
	e := Exercise{Labels: l}
	s := e.Score(Answers{Attacker: "none", Technique: fmt.Sprint(len(e.Choices())), Victims: ""})
	if s.Total != 3 || s.Max != 3 {
		t.Errorf("benign, all right: %v/%v", s.Total, s.Max)
	}
	s = e.Score(Answers{Attacker: "10.66.0.21", Technique: choiceOf(e, "c2.beacon"), Victims: "10.66.0.10"})
	if s.Total != 0 {
		t.Errorf("benign, all wrong: %v", s.Total)
	}
}

// The whole dialogue: questions out, scripted answers in, marks and the
// reveal at the end; labels withheld until then.
func TestExerciseRunScripted(t *testing.T) {
	l := testLabels()
	path := filepath.Join(t.TempDir(), "mirai.labels.json")
	if err := WriteLabels(path, l); err != nil {
		t.Fatal(err)
	}
	l, err := ReadLabels(path)
	if err != nil {
		t.Fatal(err)
	}
	e := Exercise{Labels: l, Pcap: "exercise.pcap", Location: time.UTC}
	in := strings.NewReader(strings.Join([]string{"02:66:00:00:00:42", choiceOf(e, "iot.mirai_scan"),
		"10.66.0.30", Time(l.StartTS).UTC().Format("15:04:05.000"), "1800000140"}, "\n") + "\n")
	var out strings.Builder
	s, err := e.Run(in, &out)
	if err != nil {
		t.Fatal(err)
	}
	if s.Total != 4 {
		t.Errorf("total %v, want 4\n%s", s.Total, out.String())
	}
	text := out.String()
	questions := text[:strings.Index(text, "Marks:")]
	for _, secret := range []string{`"mirai"`, "Mirai-style", "hping3", "10.66.0.66"} {
		if strings.Contains(questions, secret) {
			t.Errorf("the questions give away %q", secret)
		}
	}
	for _, want := range []string{"1. Which address attacked?", "iot.mirai_scan", "Total: 4.0 / 5", `The scenario was "mirai"`, "$ ip netns exec vgl-atk hping3"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
}

func TestExerciseRunShortInput(t *testing.T) {
	e := Exercise{Labels: testLabels()}
	var out strings.Builder
	s, err := e.Run(strings.NewReader("10.66.0.66\n"), &out)
	if err != nil {
		t.Fatal(err)
	}
	if s.Total != 1 {
		t.Errorf("only the first answer given: total %v", s.Total)
	}
}

// TestExerciseNamesFeeds: an exercise on a scenario found by its feeds
// (intel-ioc) names the feeds in its introduction; others name none.
func TestExerciseNamesFeeds(t *testing.T) {
	for _, feeds := range [][]string{nil, {"/tmp/x/feeds/urlhaus.csv", "/tmp/x/feeds/ips.txt"}} {
		e := Exercise{Labels: testLabels(), Pcap: "exercise.pcap", Feeds: feeds}
		var out strings.Builder
		e.intro(&out)
		named := strings.Contains(out.String(), "threat-intelligence feeds are /tmp/x/feeds/urlhaus.csv, /tmp/x/feeds/ips.txt")
		if named != (feeds != nil) || strings.Contains(out.String(), "feeds") != (feeds != nil) {
			t.Errorf("feeds %q: intro\n%s", feeds, out.String())
		}
	}
}
