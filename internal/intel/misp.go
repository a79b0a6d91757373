package intel

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// readJSON reads the JSON file at path, whose content is data: a MISP
// event, a MISP manifest (with its event files beside it) or a STIX 2.1
// bundle.
func readJSON(s *Set, data []byte, path, feed string) error {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		return fmt.Errorf("not a JSON object: %w", err)
	}
	switch {
	case probe["Event"] != nil:
		return loadMISPEvent(s, data, feed)
	case bytes.Contains(probe["type"], []byte(`"bundle"`)):
		return loadSTIX(s, data, feed)
	case filepath.Base(path) == "manifest.json":
		return loadMISPFeed(s, filepath.Dir(path), feed)
	}
	return fmt.Errorf("neither a MISP event, a MISP manifest nor a STIX bundle")
}

// flag is a MISP boolean, written true, 1 or "1" (and false, 0, "0") by
// different MISP versions and exports; set says it was given.
type flag struct{ set, on bool }

func (f *flag) UnmarshalJSON(b []byte) error {
	v := strings.Trim(string(b), `"`)
	f.set = v != "null" && v != ""
	f.on = f.set && truthy(v)
	return nil
}

type mispAttribute struct {
	Type    string `json:"type"`
	Value   string `json:"value"`
	Comment string `json:"comment"`
	ToIDS   flag   `json:"to_ids"`
	Deleted flag   `json:"deleted"`
}

type mispEvent struct {
	Event struct {
		Info      string          `json:"info"`
		Attribute []mispAttribute `json:"Attribute"`
		Object    []struct {
			Deleted   flag            `json:"deleted"`
			Attribute []mispAttribute `json:"Attribute"`
		} `json:"Object"`
	} `json:"Event"`
}

// loadMISPEvent reads the attributes of one MISP event, its objects'
// included. Deleted attributes and objects (an analyst withdrew them,
// often as false positives) and to_ids false ones (context, not
// indicators) are skipped.
func loadMISPEvent(s *Set, data []byte, feed string) error {
	var ev mispEvent
	if err := json.Unmarshal(data, &ev); err != nil {
		return fmt.Errorf("MISP event: %w", err)
	}
	attrs := ev.Event.Attribute
	for _, o := range ev.Event.Object {
		if !o.Deleted.on {
			attrs = append(attrs, o.Attribute...)
		}
	}
	for _, a := range attrs {
		if a.Deleted.on || a.ToIDS.set && !a.ToIDS.on {
			continue
		}
		desc := ev.Event.Info
		if a.Comment != "" {
			desc += ": " + a.Comment
		}
		s.typed(a.Type, a.Value, feed, desc)
	}
	return nil
}

// loadMISPFeed reads a MISP feed directory: manifest.json lists the
// events, each in <uuid>.json beside it.
func loadMISPFeed(s *Set, dir, feed string) error {
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return fmt.Errorf("MISP manifest: %w", err)
	}
	var manifest map[string]json.RawMessage
	if err := json.Unmarshal(data, &manifest); err != nil {
		return fmt.Errorf("MISP manifest: %w", err)
	}
	for uuid := range manifest {
		if strings.ContainsAny(uuid, `/\`) {
			continue
		}
		ev, err := os.ReadFile(filepath.Join(dir, uuid+".json"))
		if err != nil {
			return fmt.Errorf("MISP event %s: %w", uuid, err)
		}
		if err := loadMISPEvent(s, ev, feed); err != nil {
			return fmt.Errorf("MISP event %s: %w", uuid, err)
		}
	}
	return nil
}
