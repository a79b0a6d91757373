package assets

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// LogName is the inventory's file in an output directory.
const LogName = "assets.log"

// WriteLog writes DIR/assets.log: one JSON object per host (Host's
// fields), replacing the file.
func (inv *Inventory) WriteLog(dir string) error { return WriteLogFile(dir, inv.Hosts()) }

// writeBuffer is the size of the writes to assets.log (a few MB for a
// thousand hosts).
const writeBuffer = 64 << 10

// WriteLogFile writes hosts (a snapshot from Hosts) to DIR/assets.log,
// replacing it whole.
func WriteLogFile(dir string, hosts []Host) error {
	path := filepath.Join(dir, LogName)
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("assets: write log: %w", err)
	}
	w := bufio.NewWriterSize(f, writeBuffer)
	err = WriteHosts(w, hosts)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("assets: write %s: %w", path, err)
	}
	return nil
}

// WriteHosts writes hosts as JSON lines, one Write each, as a
// json.Encoder without HTML escaping writes them. A host that JSON
// cannot hold (a NaN or infinite time) is handed to the encoder, for
// its error.
func WriteHosts(w io.Writer, hosts []Host) error {
	var e hostEncoder
	var buf []byte
	for i := range hosts {
		buf = e.appendHost(buf[:0], &hosts[i])
		if e.bad {
			if err := encodeHost(w, &hosts[i]); err != nil {
				return err
			}
			e.bad = false
			continue
		}
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
	return nil
}

// encodeHost writes h with encoding/json (which refuses NaN and ±Inf).
func encodeHost(w io.Writer, h *Host) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(h)
}

// ReadLog reads an assets.log written by WriteLog.
func ReadLog(path string) ([]Host, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("assets: %w", err)
	}
	defer f.Close()
	hosts, err := ReadHosts(f)
	if err != nil {
		return nil, fmt.Errorf("assets: %s: %w", path, err)
	}
	return hosts, nil
}

// ReadHosts reads JSON lines of hosts.
func ReadHosts(r io.Reader) ([]Host, error) {
	var hosts []Host
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var h Host
		if err := json.Unmarshal(b, &h); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		hosts = append(hosts, h)
	}
	return hosts, sc.Err()
}
