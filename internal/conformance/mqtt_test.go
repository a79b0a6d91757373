package conformance

import (
	"path/filepath"
	"testing"

	"github.com/vigil-nsm/vigil/internal/testcorpus"
)

// MQTT specs: records pair by connection tuple, then by agreement and ts.
var (
	mqttConnectSpec = &LogSpec{
		Fields: []Field{
			{"proto_name", Text}, {"proto_version", Text}, {"client_id", Text},
			{"connect_status", Text}, {"will_topic", Text}, {"will_payload", Text},
		},
		Keys:  tupleFields,
		Label: "client_id",
	}
	mqttSubscribeSpec = &LogSpec{
		Fields: []Field{
			{"action", Text}, {"topics", TextList}, {"qos_levels", TextList},
			{"granted_qos_level", Text}, {"ack", Text},
		},
		Keys:  tupleFields,
		Label: "topics",
	}
	mqttPublishSpec = &LogSpec{
		Fields: []Field{
			{"from_client", Text}, {"retain", Text}, {"qos", Text}, {"status", Text},
			{"topic", Text}, {"payload", Text}, {"payload_len", Text},
		},
		Keys:  tupleFields,
		Label: "topic",
	}
)

// mqttExcluded are baselines not comparable with the default settings.
var mqttExcluded = map[string]string{
	"scripts.base.protocols.mqtt.mqtt-payload-cap": "test script lowers MQTT::max_payload_size to 8",
}

// mqttFloors are set just under what the test reaches (100% on every log;
// the pipeline analyses this protocol on TCP connections picked up
// mid-stream, as Zeek does: Factory.Partial).
var mqttFloors = logFloors{rows: 0.99, fields: 0.99}

// TestMQTTConformance compares the pipeline's three MQTT logs with Zeek's
// baselines.
func TestMQTTConformance(t *testing.T) {
	zeekDir := testcorpus.Require(t, "zeek")
	rows, err := ReadZeekIndex(filepath.Join(zeekDir, "INDEX-trace-to-baseline.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []struct {
		log  string
		spec *LogSpec
	}{
		{"mqtt_connect", mqttConnectSpec},
		{"mqtt_subscribe", mqttSubscribeSpec},
		{"mqtt_publish", mqttPublishSpec},
	} {
		t.Run(l.log, func(t *testing.T) {
			jobs, skipped := singleTraceJobs(rows, l.log+".log", mqttExcluded)
			logExcluded(t, skipped)
			logConformance(t, zeekDir, l.log, jobs, l.spec, mqttFloors)
		})
	}
}
