package bacnet

import "strconv"

// The names bacnet_property.log gives property identifiers and the
// enumerated values of a few properties, as CISA ICSNPP BACnet names them
// (its consts.zeek): ASHRAE 135's names, with ICSNPP's spellings where
// they differ (18, 24, 73, 206) and its numbers left unnamed (223-225,
// 236-243, 312-316, 324-325, from 352 on), which are written
// "Vendor Specific (N)".

// propertyNames names BACnetPropertyIdentifier values 0-351.
var propertyNames = [...]string{
	// 0
	"acked-transition", "ack-required", "action", "action-text", "active-text",
	"active-vt-session", "alarm-value", "alarm-values", "all", "all-write-successful",
	// 10
	"apdu-segment-timeout", "apdu-timeout", "application-software-version", "archive", "bias",
	"change-of-state-count", "change-of-state-time", "notification-class",
	"the property in this place was deleted", "controlled-variable-reference",
	// 20
	"controlled-variable-units", "controlled-variable-value", "cov-increment", "datelist",
	"daylights-savings-status", "deadband", "derivative-constant", "derivative-constant-units",
	"description", "description-of-halt",
	// 30
	"device-address-binding", "device-type", "effective-period", "elapsed-active-time",
	"error-limit", "event-enable", "event-state", "event-type", "exception-schedule", "fault-values",
	// 40
	"feedback-value", "file-access-method", "file-size", "file-type", "firmware-revision",
	"high-limit", "inactive-text", "in-progress", "instance-of", "integral-constant",
	// 50
	"integral-constant-units", "issue-confirmed-notifications", "limit-enable",
	"list-of-group-members", "list-of-object-property-references", "list-of-session-keys",
	"local-date", "local-time", "location", "low-limit",
	// 60
	"manipulated-variable-reference", "maximum-output", "max-apdu-length-accepted",
	"max-info-frames", "max-master", "max-pres-value", "minimum-off-time", "minimum-on-time",
	"minimum-output", "min-pres-value",
	// 70
	"model-name", "modification-date", "notify-type", "number-of-APDU-retries",
	"number-of-states", "object-identifier", "object-list", "object-name",
	"object-property-reference", "object-type",
	// 80
	"optional", "out-of-service", "output-units", "event-parameters", "polarity",
	"present-value", "priority", "priority-array", "priority-for-writing", "process-identifier",
	// 90
	"program-change", "program-location", "program-state", "proportional-constant",
	"proportional-constant-units", "protocol-conformance-class", "protocol-object-types-supported",
	"protocol-services-supported", "protocol-version", "read-only",
	// 100
	"reason-for-halt", "recipient", "recipient-list", "reliability", "relinquish-default",
	"required", "resolution", "segmentation-supported", "setpoint", "setpoint-reference",
	// 110
	"state-text", "status-flags", "system-status", "time-delay", "time-of-active-time-reset",
	"time-of-state-count-reset", "time-synchronization-recipients", "units", "update-interval",
	"utc-offset",
	// 120
	"vendor-identifier", "vendor-name", "vt-class-supported", "weekly-schedule",
	"attempted-samples", "average-value", "buffer-size", "client-cov-increment",
	"cov-resubscription-interval", "current-notify-time",
	// 130
	"event-time-stamp", "log-buffer", "log-device-object-property", "enable", "log-interval",
	"maximum-value", "minimum-value", "notification-threshold", "previous-notify-time",
	"protocol-revision",
	// 140
	"records-since-notification", "record-count", "start-time", "stop-time", "stop-when-full",
	"total-record-count", "valid-samples", "window-interval", "window-samples",
	"maximum-value-time-stamp",
	// 150
	"minimum-value-time-stamp", "variance-value", "active-cov-subscriptions",
	"backup-failure-timeout", "configuration-files", "database-revision", "direct-reading",
	"last-restore-time", "maintenance-required", "member-of",
	// 160
	"mode", "operation-expected", "setting", "silenced", "tracking-value", "zone-members",
	"life-safety-alarm-values", "max-segments-accepted", "profile-name", "auto-slave-discovery",
	// 170
	"manual-slave-address-binding", "slave-address-binding", "slave-proxy-enable",
	"last-notify-record", "schedule-default", "accepted-modes", "adjust-value", "count",
	"count-before-change", "count-change-time",
	// 180
	"cov-period", "input-reference", "limit-monitoring-interval", "logging-device",
	"logging-record", "prescale", "pulse-rate", "scale", "scale-factor", "update-time",
	// 190
	"value-before-change", "value-set", "value-change-time", "align-intervals",
	"group-member-names", "interval-offset", "last-restart-reason", "logging-type",
	"member-status-flags", "notification-period",
	// 200
	"previous-notify-record", "requested-update-interval", "restart-notification-recipients",
	"time-of-device-restart", "time-synchronization-interval", "trigger",
	"UTC-time-synchronization-recipients", "node-subtype", "node-type", "structured-object-list",
	// 210
	"subordinate-annotations", "subordinate-list", "actual-shed-level", "duty-window",
	"expected-shed-level", "full-duty-baseline", "node-subtype", "node-type",
	"requested-shed-level", "shed-duration",
	// 220
	"shed-level-descriptions", "shed-levels", "state-description", "", "", "",
	"door-alarm-state", "door-extended-pulse-time", "door-members", "door-open-too-long-time",
	// 230
	"door-pulse-time", "door-status", "door-unlock-delay-time", "lock-status",
	"masked-alarm-values", "secured-status", "", "", "", "",
	// 240
	"", "", "", "", "absentee-limit", "access-alarm-events", "access-doors", "access-event",
	"access-event-authentication-factor", "access-event-credential",
	// 250
	"access-event-time", "access-transaction-events", "accompaniment", "accompaniment-time",
	"activation-time", "active-authentication-policy", "assigned-access-rights",
	"authentication-factors", "authentication-policy-list", "authentication-policy-names",
	// 260
	"authentication-status", "authorization-mode", "belongs-to", "credential-disable",
	"credential-status", "credentials", "credentials-in-zone", "days-remaining", "entry-points",
	"exit-points",
	// 270
	"expiry-time", "extended-time-enable", "failed-attempt-events", "failed-attempts",
	"failed-attempts-time", "last-access-event", "last-access-point", "last-credential-added",
	"last-credential-added-time", "last-credential-removed",
	// 280
	"last-credential-removed-time", "last-use-time", "lockout", "lockout-relinquish-time",
	"master-exemption", "max-failed-attempts", "members", "muster-point",
	"negative-access-rules", "number-of-authentication-policies",
	// 290
	"occupancy-count", "occupancy-count-adjust", "occupancy-count-enable",
	"occupancy-exemption", "occupancy-lower-limit", "occupancy-lower-limit-enforced",
	"occupancy-state", "occupancy-upper-limit", "occupancy-upper-limit-enforced",
	"passback-exemption",
	// 300
	"passback-mode", "passback-timeout", "positive-access-rules", "reason-for-disable",
	"supported-formats", "supported-format-classes", "threat-authority", "threat-level",
	"trace-flag", "transaction-notification-class",
	// 310
	"user-external-identifier", "user-information-reference", "", "", "", "", "", "user-name",
	"user-type", "uses-remaining",
	// 320
	"zone-from", "zone-to", "access-event-tag", "global-identifier", "", "",
	"verification-time", "base-device-security-policy", "distribution-key-revision",
	"do-not-hide",
	// 330
	"key-sets", "last-key-server", "network-access-security-policies", "packet-reorder-time",
	"security-pdu-timeout", "security-time-window", "supported-security-algorithms",
	"update-key-set-timeout", "backup-and-restore-state", "backup-preparation-time",
	// 340
	"restore-completion-time", "restore-preparation-time", "bit-mask", "bit-text", "is-utc",
	"group-members", "group-member-names", "member-status-flags", "requested-update-interval",
	"covu-period",
	// 350
	"covu-recipients", "event-message-texts",
}

// propertyName names a property identifier.
func propertyName(p uint32) string {
	if int64(p) < int64(len(propertyNames)) && propertyNames[p] != "" {
		return propertyNames[p]
	}
	return vendorSpecific(uint64(p))
}

func vendorSpecific(v uint64) string {
	return "Vendor Specific (" + strconv.FormatUint(v, 10) + ")"
}

// Property identifiers whose enumerated values are logged by name.
const (
	propEventState     = 36
	propNotifyType     = 72
	propObjectList     = 76
	propObjectType     = 79
	propReliability    = 103
	propSegmentation   = 107
	propSystemStatus   = 112
	propUnits          = 117
	propLoggingType    = 197
	unitsHighFirst     = 47808 // first of the units numbered past 255
	segmentationPrefix = "Unknown Segmented Supported Status -0x"
)

var (
	eventStates    = [...]string{"normal", "fault", "offnormal", "high-limit", "low-limit", "life-safety-alarm"}
	notifyTypes    = [...]string{"alarm", "event", "ack-notification"}
	deviceStatuses = [...]string{"operational", "operational-read-only", "download-required",
		"download-in-progress", "non-operational", "backup-in-progress"}
	segmentations = [...]string{"segmented-both", "segmented-transmit", "segmented-receive", "no-segmentation"}
	loggingTypes  = [...]string{"polled", "cov", "triggered"}
	reliabilities = [...]string{"no-fault-detected", "no-sensor", "over-range", "under-range",
		"open-loop", "shorted-loop", "no-output", "unreliable-other", "process-error",
		"multi-state-fault", "configuration-error", "", "communication-failure", "member-fault",
		"monitored-object-fault", "tripped", "lamp-failure", "activation-failure",
		"renew-dhcp-failure", "renew-fd-registration-failure", "restart-auto-negotiation-failure",
		"restart-failure", "proprietary-command-failure", "faults-listed", "referenced-object-fault"}
)

// unitNames names BACnetEngineeringUnits 0-254; unitNamesHigh those
// numbered from 47808.
var unitNames = [...]string{
	// 0
	"square-meters", "square-feet", "milliamperes", "amperes", "ohms", "volts", "kilovolts",
	"megavolts", "volt-amperes", "kilovolt-amperes",
	// 10
	"megavolt-amperes", "volt-amperes-reactive", "kilovolt-amperes-reactive",
	"megavolt-amperes-reactive", "degrees-phase", "power-factor", "joules", "kilojoules",
	"watt-hours", "kilowatt-hours",
	// 20
	"btus", "therms", "ton-hours", "joules-per-kilogram-dry-air", "btus-per-pound-dry-air",
	"cycles-per-hour", "cycles-per-minute", "hertz", "grams-of-water-per-kilogram-dry-air",
	"percent-relative-humidity",
	// 30
	"millimeters", "meters", "inches", "feet", "watts-per-square-foot", "watts-per-square-meter",
	"lumens", "luxes", "foot-candles", "kilograms",
	// 40
	"pounds-mass", "tons", "kilograms-per-second", "kilograms-per-minute", "kilograms-per-hour",
	"pounds-mass-per-minute", "pounds-mass-per-hour", "watts", "kilowatts", "megawatts",
	// 50
	"btus-per-hour", "horsepower", "tons-refrigeration", "pascals", "kilopascals", "bars",
	"pounds-force-per-square-inch", "centimeters-of-water", "inches-of-water",
	"millimeters-of-mercury",
	// 60
	"centimeters-of-mercury", "inches-of-mercury", "degrees-celsius", "degrees-kelvin",
	"degrees-fahrenheit", "degree-days-celsius", "degree-days-fahrenheit", "years", "months",
	"weeks",
	// 70
	"days", "hours", "minutes", "seconds", "meters-per-second", "kilometers-per-hour",
	"feet-per-second", "feet-per-minute", "miles-per-hour", "cubic-feet",
	// 80
	"cubic-meters", "imperial-gallons", "liters", "us-gallons", "cubic-feet-per-minute",
	"cubic-meters-per-second", "imperial-gallons-per-minute", "liters-per-second",
	"liters-per-minute", "us-gallons-per-minute",
	// 90
	"degrees-angular", "degrees-celsius-per-hour", "degrees-celsius-per-minute",
	"degrees-fahrenheit-per-hour", "degrees-fahrenheit-per-minute", "no-units",
	"parts-per-million", "parts-per-billion", "percent", "percent-per-second",
	// 100
	"per-minute", "per-second", "psi-per-degree-fahrenheit", "radians", "revolutions-per-minute",
	"currency1", "currency2", "currency3", "currency4", "currency5",
	// 110
	"currency6", "currency7", "currency8", "currency9", "currency10", "square-inches",
	"square-centimeters", "btus-per-pound", "centimeters", "pounds-mass-per-second",
	// 120
	"delta-degrees-fahrenheit", "delta-degrees-kelvin", "kilohms", "megohms", "millivolts",
	"kilojoules-per-kilogram", "megajoules", "joules-per-degree-kelvin",
	"joules-per-kilogram-degree-kelvin", "kilohertz",
	// 130
	"megahertz", "per-hour", "milliwatts", "hectopascals", "millibars", "cubic-meters-per-hour",
	"liters-per-hour", "kilowatt-hours-per-square-meter", "kilowatt-hours-per-square-foot",
	"megajoules-per-square-meter",
	// 140
	"megajoules-per-square-foot", "watts-per-square-meter-degree-kelvin", "cubic-feet-per-second",
	"percent-obscuration-per-foot", "percent-obscuration-per-meter", "milliohms",
	"megawatt-hours", "kilo-btus", "mega-btus", "kilojoules-per-kilogram-dry-air",
	// 150
	"megajoules-per-kilogram-dry-air", "kilojoules-per-degree-kelvin",
	"megajoules-per-degree-kelvin", "newton", "grams-per-second", "grams-per-minute",
	"tons-per-hour", "kilo-btus-per-hour", "hundredths-seconds", "milliseconds",
	// 160
	"newton-meters", "millimeters-per-second", "millimeters-per-minute", "meters-per-minute",
	"meters-per-hour", "cubic-meters-per-minute", "meters-per-second-per-second",
	"amperes-per-meter", "amperes-per-square-meter", "ampere-square-meters",
	// 170
	"farads", "henrys", "ohm-meters", "siemens", "siemens-per-meter", "teslas",
	"volts-per-degree-kelvin", "volts-per-meter", "webers", "candelas",
	// 180
	"candelas-per-square-meter", "degrees-kelvin-per-hour", "degrees-kelvin-per-minute",
	"joule-seconds", "radians-per-second", "square-meters-per-newton",
	"kilograms-per-cubic-meter", "newton-seconds", "newtons-per-meter",
	"watts-per-meter-per-degree-kelvin",
	// 190
	"micro-siemens", "cubic-feet-per-hour", "us-gallons-per-hour", "kilometers", "micrometers",
	"grams", "milligrams", "milliliters", "milliliters-per-second", "decibels",
	// 200
	"decibels-millivolt", "decibels-volt", "millisiemens", "watt-hours-reactive",
	"kilowatt-hours-reactive", "megawatt-hours-reactive", "millimeters-of-water", "per-mille",
	"grams-per-gram", "kilograms-per-kilogram",
	// 210
	"grams-per-kilogram", "milligrams-per-gram", "milligrams-per-kilogram",
	"grams-per-milliliter", "grams-per-liter", "milligrams-per-liter", "micrograms-per-liter",
	"grams-per-cubic-meter", "milligrams-per-cubic-meter", "micrograms-per-cubic-meter",
	// 220
	"nanograms-per-cubic-meter", "grams-per-cubic-centimeter", "becquerels", "kilobecquerels",
	"megabecquerels", "gray", "milligray", "microgray", "sieverts", "millisieverts",
	// 230
	"microsieverts", "microsieverts-per-hour", "decibels-a", "nephelometric-turbidity-unit",
	"pH", "grams-per-square-meter", "minutes-per-degree-kelvin", "ohm-meter-squared-per-meter",
	"ampere-seconds", "volt-ampere-hours",
	// 240
	"kilovolt-ampere-hours", "megavolt-ampere-hours", "volt-ampere-hours-reactive",
	"kilovolt-ampere-hours-reactive", "megavolt-ampere-hours-reactive", "volt-square-hours",
	"ampere-square-hours", "joule-per-hours", "cubic-feet-per-day", "cubic-meters-per-day",
	// 250
	"watt-hours-per-cubic-meter", "joules-per-cubic-meter", "mole-percent", "pascal-seconds",
	"million-standard-cubic-feet-per-minute",
}

var unitNamesHigh = [...]string{
	"standard-cubic-feet-per-day", "million-standard-cubic-feet-per-day",
	"thousand-cubic-feet-per-day", "thousand-standard-cubic-feet-per-day",
	"pounds-mass-per-day", "", "millirems", "millirems-per-hour",
}

func unitName(v uint64) string {
	if v < uint64(len(unitNames)) {
		return unitNames[v]
	}
	if v >= unitsHighFirst && v-unitsHighFirst < uint64(len(unitNamesHigh)) && unitNamesHigh[v-unitsHighFirst] != "" {
		return unitNamesHigh[v-unitsHighFirst]
	}
	return "Unknown Unit-" + strconv.FormatUint(v, 10)
}

// named looks v up in tab; "Vendor Specific (v)" when it is not there.
func named(tab []string, v uint64) string {
	if v < uint64(len(tab)) && tab[v] != "" {
		return tab[v]
	}
	return vendorSpecific(v)
}

// enumerated reports whether ICSNPP names the values of the property.
func enumerated(prop uint32) bool {
	switch prop {
	case propEventState, propNotifyType, propObjectType, propReliability, propSegmentation,
		propSystemStatus, propUnits, propLoggingType:
		return true
	}
	return false
}

// enumName names the value v of the property prop, for the properties
// ICSNPP names the values of; ok is false for other properties.
func enumName(prop uint32, v uint64) (s string, ok bool) {
	switch prop {
	case propEventState:
		return named(eventStates[:], v), true
	case propNotifyType:
		return named(notifyTypes[:], v), true
	case propObjectType:
		if v > 0xffff {
			return "Unknown Object Type-0x" + strconv.FormatUint(v, 16), true
		}
		return objectTypeName(uint16(v)), true
	case propReliability:
		return named(reliabilities[:], v), true
	case propSegmentation:
		if v < uint64(len(segmentations)) {
			return segmentations[v], true
		}
		return segmentationPrefix + hex2(v), true
	case propSystemStatus:
		return named(deviceStatuses[:], v), true
	case propUnits:
		return unitName(v), true
	case propLoggingType:
		return named(loggingTypes[:], v), true
	}
	return "", false
}
