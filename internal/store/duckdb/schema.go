package duckdb

import (
	"context"
	"fmt"
	"strings"
)

// protos and states are the ENUM values of conn.proto and conn.conn_state;
// anything else is stored as "unknown_transport" and NULL.
var (
	protos = []string{"tcp", "udp", "icmp", "unknown_transport", "sctp", "gre", "esp", "ah", "icmp6", "ipv6-icmp"}
	states = []string{"S0", "S1", "SF", "REJ", "S2", "S3", "RSTO", "RSTR", "RSTOS0", "RSTRH", "SH", "SHR", "OTH"}
)

var tables = []string{
	`runs(id INTEGER, source VARCHAR, kind VARCHAR, status VARCHAR, started DOUBLE, ended DOUBLE,
		packets BIGINT, records BIGINT, error VARCHAR)`,
	`conn(ts DOUBLE, uid VARCHAR, orig_h VARCHAR, orig_p USMALLINT, resp_h VARCHAR, resp_p USMALLINT,
		proto conn_proto, service VARCHAR, duration DOUBLE, orig_bytes BIGINT, resp_bytes BIGINT,
		conn_state conn_state, history VARCHAR, orig_pkts BIGINT, orig_ip_bytes BIGINT, resp_pkts BIGINT,
		resp_ip_bytes BIGINT, ipv UTINYINT, run INTEGER)`,
	`dns(ts DOUBLE, uid VARCHAR, orig_h VARCHAR, resp_h VARCHAR, query VARCHAR, qtype VARCHAR, rcode VARCHAR,
		answers VARCHAR, run INTEGER)`,
	`http(ts DOUBLE, uid VARCHAR, orig_h VARCHAR, resp_h VARCHAR, resp_p USMALLINT, method VARCHAR, host VARCHAR,
		uri VARCHAR, status INTEGER, user_agent VARCHAR, run INTEGER)`,
	`ssl(ts DOUBLE, uid VARCHAR, orig_h VARCHAR, resp_h VARCHAR, resp_p USMALLINT, version VARCHAR,
		server_name VARCHAR, established BOOLEAN, ja3 VARCHAR, run INTEGER)`,
	`alerts(ts DOUBLE, ts_end DOUBLE, uids VARCHAR[], src VARCHAR, dst VARCHAR, class VARCHAR, severity INTEGER,
		confidence DOUBLE, detector VARCHAR, summary VARCHAR, mitre VARCHAR[], json VARCHAR, run INTEGER)`,
	`incidents(id VARCHAR, first_seen DOUBLE, last_seen DOUBLE, attacker VARCHAR, victims VARCHAR[],
		classes VARCHAR[], stages VARCHAR[], severity INTEGER, score INTEGER, alerts INTEGER, narrative VARCHAR,
		json VARCHAR, run INTEGER)`,
	`incident_status(id VARCHAR, status VARCHAR, note VARCHAR, updated DOUBLE)`,
	`assets(key VARCHAR, addrs VARCHAR[], mac VARCHAR, vendor VARCHAR, names VARCHAR[], class VARCHAR,
		os VARCHAR, device VARCHAR, services VARCHAR[], findings VARCHAR[], max_severity INTEGER,
		first_seen DOUBLE, last_seen DOUBLE, bytes_sent BIGINT, bytes_recv BIGINT, json VARCHAR, run INTEGER)`,
	`records(log VARCHAR, ts DOUBLE, uid VARCHAR, json VARCHAR, run INTEGER)`,
	`traffic_1m(bucket BIGINT, proto VARCHAR, service VARCHAR, ipv UTINYINT, conns BIGINT, bytes BIGINT,
		pkts BIGINT, run INTEGER)`,
	`traffic_1h(bucket BIGINT, proto VARCHAR, service VARCHAR, ipv UTINYINT, conns BIGINT, bytes BIGINT,
		pkts BIGINT, run INTEGER)`,
	`talkers_1h(bucket BIGINT, host VARCHAR, bytes BIGINT, conns BIGINT, run INTEGER)`,
	`edges_1h(bucket BIGINT, src VARCHAR, dst VARCHAR, bytes BIGINT, conns BIGINT, run INTEGER)`,
	`alerts_1m(bucket BIGINT, class VARCHAR, severity INTEGER, n BIGINT, run INTEGER)`,
	`alerts_1h(bucket BIGINT, class VARCHAR, severity INTEGER, n BIGINT, run INTEGER)`,
	`situation(ts BIGINT, idx DOUBLE, components VARCHAR, alerts BIGINT, conns BIGINT, bytes BIGINT)`,
}

// runTables are the tables whose rows carry a run id.
var runTables = []string{"conn", "dns", "http", "ssl", "alerts", "incidents", "assets", "records",
	"traffic_1m", "traffic_1h", "talkers_1h", "edges_1h", "alerts_1m", "alerts_1h"}

func enumSQL(name string, vals []string) string {
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = "'" + v + "'"
	}
	return fmt.Sprintf("CREATE TYPE %s AS ENUM (%s)", name, strings.Join(q, ", "))
}

func (d *DB) createSchema(ctx context.Context) error {
	for name, vals := range map[string][]string{"conn_proto": protos, "conn_state": states} {
		var n int
		if err := d.db.QueryRowContext(ctx, "SELECT count(*) FROM duckdb_types() WHERE type_name = ?", name).Scan(&n); err != nil {
			return fmt.Errorf("store: schema: %w", err)
		}
		if n == 0 {
			if _, err := d.db.ExecContext(ctx, enumSQL(name, vals)); err != nil {
				return fmt.Errorf("store: schema: %w", err)
			}
		}
	}
	for _, t := range tables {
		if _, err := d.db.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+t); err != nil {
			return fmt.Errorf("store: schema: %w", err)
		}
	}
	return nil
}
