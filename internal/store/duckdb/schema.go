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
		confidence DOUBLE, detector VARCHAR, summary VARCHAR, mitre VARCHAR[], json VARCHAR, run INTEGER,
		dsts VARCHAR[])`,
	`incidents(id VARCHAR, first_seen DOUBLE, last_seen DOUBLE, attacker VARCHAR, victims VARCHAR[],
		classes VARCHAR[], stages VARCHAR[], severity INTEGER, score INTEGER, alerts INTEGER, narrative VARCHAR,
		json VARCHAR, run INTEGER)`,
	`incident_status(id VARCHAR, status VARCHAR, note VARCHAR, updated DOUBLE)`,
	`assets(key VARCHAR, addrs VARCHAR[], mac VARCHAR, vendor VARCHAR, names VARCHAR[], class VARCHAR,
		os VARCHAR, device VARCHAR, services VARCHAR[], findings VARCHAR[], max_severity INTEGER,
		first_seen DOUBLE, last_seen DOUBLE, bytes_sent BIGINT, bytes_recv BIGINT, json VARCHAR, run INTEGER,
		class_conf DOUBLE, os_conf DOUBLE, device_conf DOUBLE)`,
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

// migrations bring tables made by earlier versions up to date (columns
// are only ever added at the end).
var migrations = []string{
	"ALTER TABLE assets ADD COLUMN IF NOT EXISTS class_conf DOUBLE",
	"ALTER TABLE assets ADD COLUMN IF NOT EXISTS os_conf DOUBLE",
	"ALTER TABLE assets ADD COLUMN IF NOT EXISTS device_conf DOUBLE",
	"ALTER TABLE alerts ADD COLUMN IF NOT EXISTS dsts VARCHAR[]",
}

// assetView merges the rows of one host (one per ingest run that reported
// it): the same MAC, or the same key (the address) for hosts without a
// MAC — folded into the MAC-keyed host that holds that address (the one
// seen last, when several did), since a run that saw no link layer for a
// host reports it by address. first_seen is the earliest, last_seen the latest; addresses,
// names, services and findings are united (latest run first; the reader
// drops repeats); class, OS and device come from the most confident guess
// (the latest on a tie), vendor and MAC from the latest run that had one;
// the most severe finding wins; traffic is summed; json is the latest
// run's record. A view, so nothing is stored twice: a run removed whole
// (Recover, Retain) leaves the others' merge intact.
const assetView = `CREATE OR REPLACE VIEW asset_view AS
WITH owner AS (
	SELECT addr, arg_max(lower(mac), last_seen) AS owner_mac
	FROM (SELECT unnest(addrs) AS addr, mac, last_seen FROM assets WHERE coalesce(mac, '') <> '')
	GROUP BY addr)
SELECT
	coalesce(arg_max(key, last_seen) FILTER (WHERE coalesce(mac, '') <> ''), arg_max(key, last_seen)) AS key,
	flatten(list(addrs ORDER BY last_seen DESC)) AS addrs,
	coalesce(arg_max(mac, last_seen) FILTER (WHERE mac <> ''), '') AS mac,
	coalesce(arg_max(vendor, last_seen) FILTER (WHERE vendor <> ''), '') AS vendor,
	flatten(list(names ORDER BY last_seen DESC)) AS names,
	coalesce(arg_max(class, [coalesce(class_conf, 0), last_seen]) FILTER (WHERE class <> ''), '') AS class,
	coalesce(arg_max(os, [coalesce(os_conf, 0), last_seen]) FILTER (WHERE os <> ''), '') AS os,
	coalesce(arg_max(device, [coalesce(device_conf, 0), last_seen]) FILTER (WHERE device <> ''), '') AS device,
	flatten(list(services ORDER BY last_seen DESC)) AS services,
	flatten(list(findings ORDER BY last_seen DESC)) AS findings,
	coalesce(min(max_severity) FILTER (WHERE max_severity > 0), 0) AS max_severity,
	coalesce(min(first_seen) FILTER (WHERE first_seen > 0), 0) AS first_seen,
	max(last_seen) AS last_seen,
	least(coalesce(sum(bytes_sent), 0), 9223372036854775807)::BIGINT AS bytes_sent,
	least(coalesce(sum(bytes_recv), 0), 9223372036854775807)::BIGINT AS bytes_recv,
	coalesce(arg_max(json, last_seen) FILTER (WHERE coalesce(mac, '') <> ''), arg_max(json, last_seen)) AS json,
	max(run) AS run,
	count(DISTINCT run)::INTEGER AS runs,
	coalesce(max(class_conf) FILTER (WHERE class <> ''), 0) AS class_conf,
	coalesce(max(os_conf) FILTER (WHERE os <> ''), 0) AS os_conf,
	coalesce(max(device_conf) FILTER (WHERE device <> ''), 0) AS device_conf
FROM assets LEFT JOIN owner ON coalesce(mac, '') = '' AND owner.addr = key
GROUP BY CASE WHEN coalesce(mac, '') <> '' THEN lower(mac) ELSE coalesce(owner_mac, key) END`

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
	for _, m := range append(migrations, assetView) {
		if _, err := d.db.ExecContext(ctx, m); err != nil {
			return fmt.Errorf("store: schema: %w", err)
		}
	}
	return nil
}
