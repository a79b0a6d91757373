// Package store is Vigil's storage contract: the Store interface that the
// server (internal/serve) writes records into and reads every page from,
// the row types, and the Writer — an analyze.Consumer that turns JSON
// records into typed rows, aggregates rollups as it goes and hands them to
// the Store in batches.
//
// Shape of the data:
//
//   - raw rows: conn (typed Zeek conn fields, flows from NetFlow/IPFIX/sFlow
//     too), dns, http, ssl, alerts, and a generic records(log, ts, uid,
//     json) for every other log; kept Retention.Raw.
//   - incidents and assets: one row per incident id / host key, replaced
//     when a later run reports it again (raw JSON kept beside the key
//     fields).
//   - rollups: traffic per minute and per hour (conns, bytes, packets per
//     proto/service/IP version), talkers and host pairs per hour, alerts per
//     minute and hour by class and severity; kept longer than raw rows.
//   - runs: one row per ingest source (a file, a NetFlow listener); rows
//     carry their run id so that a run cut short by a crash can be removed
//     whole and ingested again.
//
// Time is data time: windows and retention are measured back from the
// newest record stored, so captures from the past are shown as they were.
//
// The default implementation is internal/store/duckdb (one DuckDB file).
package store
