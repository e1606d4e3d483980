package controls

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	awscol "github.com/auditpack/auditpack/collectors/aws"
	"github.com/auditpack/auditpack/evidence"
)

var rdsKinds = []string{awscol.KindRDSInstance, awscol.KindRDSCluster}

var rdsListCalls = []string{"rds:DescribeDBInstances", "rds:DescribeDBClusters"}

var awsRDSChecks = []*Check{
	{
		ID:       awscol.CheckRDSStorageEncrypted,
		Title:    "RDS databases encrypt data at rest",
		Severity: SeverityHigh,
		Criteria: []string{"CC6.1", "C1.1"},
		Description: "Passes for a DB instance or DB cluster whose storage is encrypted, naming the key type " +
			"(AWS-owned, AWS-managed or customer-managed); fails when it is not. Aurora and Multi-AZ DB clusters " +
			"are judged at the cluster, from StorageEncrypted and StorageEncryptionType and never from the " +
			"presence of a KMS key id, because clusters encrypted with an AWS-owned key return none; their " +
			"member instances get no finding of their own. With require_cmk, anything but a customer-managed " +
			"key fails. Supports CC6.1 (encryption of data at rest) and C1.1 (confidential data protected).",
		Collectors: []string{"aws.rds"},
		Kinds:      rdsKinds,
		Calls:      append(append([]string(nil), rdsListCalls...), "kms:DescribeKey"),
		Params: []Param{{
			Name:             "require_cmk",
			Default:          false,
			Description:      "require a customer-managed KMS key; AWS-owned and AWS-managed keys then fail",
			Loosest:          false,
			HigherIsStricter: true,
		}},
		Evaluate: evalRDSStorageEncrypted,
	},
	{
		ID:       awscol.CheckRDSBackupRetention,
		Title:    "RDS automated backups are kept long enough",
		Severity: SeverityHigh,
		Criteria: []string{"A1.2"},
		Description: "Passes when automated backups of a DB instance or DB cluster are kept at least min_days " +
			"days; fails when they are kept fewer days or are off (retention 0). Cluster members are judged at " +
			"the cluster. A read replica is judged by its source: it is not_applicable with the source named, " +
			"or review when the source is not in the collected evidence. Supports A1.2 (backups maintained).",
		Collectors: []string{"aws.rds"},
		Kinds:      rdsKinds,
		Calls:      append([]string(nil), rdsListCalls...),
		Params: []Param{{
			Name:             "min_days",
			Default:          7,
			Description:      "minimum automated backup retention, in days",
			Loosest:          1,
			HigherIsStricter: true,
		}},
		Evaluate: evalRDSBackupRetention,
	},
	{
		ID:       awscol.CheckRDSForceSSL,
		Title:    "RDS PostgreSQL and MySQL databases require TLS",
		Severity: SeverityHigh,
		Criteria: []string{"CC6.7"},
		Description: "Reads the parameter group in use: rds.force_ssl for PostgreSQL, require_secure_transport " +
			"for MySQL and MariaDB (the DB cluster parameter group for clusters). Passes when the parameter " +
			"is on, or unset on RDS for PostgreSQL 15 and later whose default is 1; fails when it is off or " +
			"unset with an engine default of off; review when a change waits for a reboot or the Aurora " +
			"default is not known. Other engines are not_applicable. Supports CC6.7 (data in transit protected).",
		Collectors: []string{"aws.rds"},
		Kinds:      rdsKinds,
		Calls:      append(append([]string(nil), rdsListCalls...), "rds:DescribeDBParameters", "rds:DescribeDBClusterParameters"),
		Evaluate:   evalRDSForceSSL,
	},
	{
		ID:       awscol.CheckRDSSnapshotRecent,
		Title:    "RDS databases have a recent recovery point",
		Severity: SeverityMedium,
		Criteria: []string{"A1.2"},
		Description: "Passes when the latest available automated or manual snapshot (DescribeDBSnapshots, and " +
			"DescribeDBClusterSnapshots where Aurora snapshots appear) or the latest restorable time is at " +
			"most max_age_hours old at evaluation; fails otherwise or when there is none. Cluster members " +
			"are judged at the cluster and read replicas by their source. Supports A1.2 (backups maintained).",
		Collectors: []string{"aws.rds"},
		Kinds:      rdsKinds,
		Calls:      append(append([]string(nil), rdsListCalls...), "rds:DescribeDBSnapshots", "rds:DescribeDBClusterSnapshots"),
		Params: []Param{{
			Name:        "max_age_hours",
			Default:     24,
			Description: "maximum age of the latest recovery point, in hours",
			Loosest:     168,
		}},
		Evaluate: evalRDSSnapshotRecent,
	},
}

// rdsResource is an instance or cluster decoded for judging. Cluster
// members are left out by decodeRDS because their cluster is judged.
type rdsResource struct {
	item    *evidence.Item
	kind    string // "instance" or "cluster"
	id      string
	engine  string
	engineV string
	region  string
	storage awscol.RDSStorage
	days    int
	source  string // read replica or replication source
	pg      *awscol.RDSParameterGroup
	snaps   *awscol.RDSSnapshots
	restore *time.Time
	members []string
}

// decodeRDS decodes every item of the check, returning error findings for
// items that cannot be read.
func decodeRDS(ec *EvalContext) ([]rdsResource, []Finding) {
	var out []rdsResource
	var bad []Finding
	for _, it := range ec.Items {
		switch it.Kind {
		case awscol.KindRDSInstance:
			var db awscol.RDSInstance
			if f, ok := ec.Decode(it, &db); !ok {
				bad = append(bad, f)
				continue
			}
			if db.ClusterIdentifier != "" {
				continue
			}
			out = append(out, rdsResource{item: it, kind: "instance", id: db.Identifier, engine: db.Engine, engineV: db.EngineVersion,
				region: db.Region, storage: db.RDSStorage, days: db.BackupRetentionDays, source: db.ReadReplicaSource,
				pg: db.ParameterGroup, snaps: db.Snapshots, restore: db.LatestRestorableTime})
		case awscol.KindRDSCluster:
			var cl awscol.RDSCluster
			if f, ok := ec.Decode(it, &cl); !ok {
				bad = append(bad, f)
				continue
			}
			out = append(out, rdsResource{item: it, kind: "cluster", id: cl.Identifier, engine: cl.Engine, engineV: cl.EngineVersion,
				region: cl.Region, storage: cl.RDSStorage, days: cl.BackupRetentionDays, source: cl.ReplicationSource,
				pg: cl.ParameterGroup, snaps: cl.Snapshots, restore: cl.LatestRestorableTime, members: cl.Members})
		}
	}
	return out, bad
}

func evalRDSStorageEncrypted(ec *EvalContext) []Finding {
	dbs, out := decodeRDS(ec)
	requireCMK := ec.Params.Bool("require_cmk")
	for _, db := range dbs {
		groups := []string{}
		if requireCMK {
			groups = append(groups, awscol.RDSGroupKMSKey)
		}
		if f, bad := ec.ItemError(db.item, groups...); bad {
			out = append(out, f)
			continue
		}
		details := map[string]any{
			"engine":            db.engine,
			"storage_encrypted": db.storage.StorageEncrypted,
		}
		if db.storage.StorageEncryptionType != "" {
			details["storage_encryption_type"] = db.storage.StorageEncryptionType
		}
		if len(db.members) > 0 {
			details["members"] = strings.Join(db.members, ", ")
		}
		if !db.storage.Encrypted() {
			f := ec.Finding(db.item, StatusFail, "storage of DB %s %s is not encrypted", db.kind, db.id)
			f.Details = details
			out = append(out, f)
			continue
		}
		keyType := db.storage.KeyType()
		details["key_type"] = keyType
		if db.storage.KMSKeyID != "" {
			details["kms_key_id"] = db.storage.KMSKeyID
		}
		var f Finding
		switch {
		case !requireCMK || keyType == "customer-managed key":
			f = ec.Finding(db.item, StatusPass, "storage of DB %s %s is encrypted (%s)", db.kind, db.id, keyType)
		case keyType == "KMS key of unknown type":
			f = ec.Finding(db.item, StatusReview, "storage of DB %s %s is encrypted with %s, which KMS did not describe; CMK required", db.kind, db.id, db.storage.KMSKeyID)
		default:
			f = ec.Finding(db.item, StatusFail, "%s; CMK required", keyType)
		}
		f.Details = details
		out = append(out, f)
	}
	return out
}

// rdsSource finds the item of a read replica's source in the evidence: by
// ARN, or by identifier in the replica's own account and region.
func rdsSource(ec *EvalContext, db rdsResource) (*evidence.Item, bool) {
	want := db.source
	if !strings.HasPrefix(want, "arn:") {
		sep := ":db:"
		if db.kind == "cluster" {
			sep = ":cluster:"
		}
		prefix, _, ok := strings.Cut(db.item.Resource, sep)
		if !ok {
			return nil, false
		}
		want = prefix + sep + db.source
	}
	for _, it := range ec.Evidence.Items {
		if (it.Kind == awscol.KindRDSInstance || it.Kind == awscol.KindRDSCluster) && it.Resource == want {
			return it, true
		}
	}
	return nil, false
}

// replicaFinding judges a read replica by its source. The source has its
// own finding, so the replica is not_applicable; a source outside the
// evidence leaves the replica to a person.
func replicaFinding(ec *EvalContext, db rdsResource, what string) Finding {
	src, ok := rdsSource(ec, db)
	if !ok {
		f := ec.Finding(db.item, StatusReview, "read replica of %s, which is not in the collected evidence; judge its %s at the source", db.source, what)
		f.Details = map[string]any{"read_replica_source": db.source}
		return f
	}
	f := ec.Finding(db.item, StatusNotApplicable, "read replica; %s is judged at its source %s", what, src.Resource)
	f.Evidence = append(f.Evidence, evidence.ItemPath(src))
	f.Details = map[string]any{"read_replica_source": src.Resource}
	return f
}

func evalRDSBackupRetention(ec *EvalContext) []Finding {
	dbs, out := decodeRDS(ec)
	minDays := ec.Params.Int("min_days")
	for _, db := range dbs {
		if db.source != "" {
			out = append(out, replicaFinding(ec, db, "backup retention"))
			continue
		}
		details := map[string]any{"backup_retention_days": db.days, "min_days": minDays}
		var f Finding
		switch {
		case db.days == 0:
			f = ec.Finding(db.item, StatusFail, "automated backups of DB %s %s are off (retention 0 days; at least %d required)", db.kind, db.id, minDays)
		case db.days < minDays:
			f = ec.Finding(db.item, StatusFail, "automated backups of DB %s %s are kept %s; at least %d required", db.kind, db.id, dayCount(db.days), minDays)
		default:
			f = ec.Finding(db.item, StatusPass, "automated backups of DB %s %s are kept %s (at least %d required)", db.kind, db.id, dayCount(db.days), minDays)
		}
		f.Details = details
		out = append(out, f)
	}
	return out
}

func evalRDSForceSSL(ec *EvalContext) []Finding {
	dbs, out := decodeRDS(ec)
	for _, db := range dbs {
		param := awscol.TLSParameter(db.engine)
		if param == "" {
			out = append(out, ec.Finding(db.item, StatusNotApplicable, "engine %s is neither PostgreSQL nor MySQL", db.engine))
			continue
		}
		if f, bad := ec.ItemError(db.item, awscol.RDSGroupParameters); bad {
			out = append(out, f)
			continue
		}
		if db.pg == nil {
			out = append(out, ec.Finding(db.item, StatusReview, "DB %s %s returned no parameter group, so %s could not be read", db.kind, db.id, param))
			continue
		}
		out = append(out, forceSSLFinding(ec, db, param))
	}
	return out
}

func forceSSLFinding(ec *EvalContext, db rdsResource, param string) Finding {
	pg := db.pg
	groupKind := "parameter group"
	if pg.Cluster {
		groupKind = "DB cluster parameter group"
	}
	details := map[string]any{"parameter_group": pg.Name, "parameter": param, "engine": db.engine, "engine_version": db.engineV}
	if pg.ApplyStatus != "" {
		details["apply_status"] = pg.ApplyStatus
	}
	var f Finding
	if pg.Value == nil {
		details["value"] = "not set (engine default)"
		switch {
		case db.engine == "postgres" && majorVersion(db.engineV) >= 15:
			f = ec.Finding(db.item, StatusPass, "%s is not set in %s %s; the RDS for PostgreSQL 15+ default 1 requires TLS", param, groupKind, pg.Name)
		case db.engine == "postgres" || db.engine == "mysql" || db.engine == "mariadb":
			f = ec.Finding(db.item, StatusFail, "%s is not set in %s %s and the engine default allows connections without TLS", param, groupKind, pg.Name)
		default:
			f = ec.Finding(db.item, StatusReview, "%s is not set in %s %s; confirm the %s %s default", param, groupKind, pg.Name, db.engine, db.engineV)
		}
		f.Details = details
		return f
	}
	value := *pg.Value
	details["value"] = value
	on := value == "1" || strings.EqualFold(value, "on") || strings.EqualFold(value, "true")
	switch {
	case on && pg.ApplyStatus == "pending-reboot":
		f = ec.Finding(db.item, StatusReview, "%s is %s in %s %s but waits for a reboot to take effect", param, value, groupKind, pg.Name)
	case on:
		f = ec.Finding(db.item, StatusPass, "%s is %s in %s %s", param, value, groupKind, pg.Name)
	default:
		f = ec.Finding(db.item, StatusFail, "%s is %s in %s %s, so clients may connect without TLS", param, value, groupKind, pg.Name)
	}
	f.Details = details
	return f
}

// dayCount formats a number of days: "1 day", "7 days".
func dayCount(n int) string {
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

// majorVersion returns the leading number of an engine version ("15.4" →
// 15), or 0.
func majorVersion(v string) int {
	head, _, _ := strings.Cut(v, ".")
	n, err := strconv.Atoi(head)
	if err != nil {
		return 0
	}
	return n
}

func evalRDSSnapshotRecent(ec *EvalContext) []Finding {
	dbs, out := decodeRDS(ec)
	maxAge := time.Duration(ec.Params.Float("max_age_hours") * float64(time.Hour))
	for _, db := range dbs {
		if db.source != "" {
			out = append(out, replicaFinding(ec, db, "recovery point"))
			continue
		}
		if f, bad := ec.ItemError(db.item, awscol.RDSGroupSnapshots); bad {
			out = append(out, f)
			continue
		}
		out = append(out, snapshotFinding(ec, db, maxAge))
	}
	return out
}

func snapshotFinding(ec *EvalContext, db rdsResource, maxAge time.Duration) Finding {
	details := map[string]any{"max_age_hours": ec.Params.Float("max_age_hours")}
	var latest time.Time
	var source string
	if db.snaps != nil {
		details["snapshots"] = db.snaps.Count
		if s := db.snaps.Latest; s != nil {
			latest, source = s.Created, fmt.Sprintf("%s snapshot %s", s.Type, s.ID)
			details["latest_snapshot"] = s.ID
			details["latest_snapshot_time"] = s.Created.UTC().Format(time.RFC3339)
		}
	}
	if db.restore != nil {
		details["latest_restorable_time"] = db.restore.UTC().Format(time.RFC3339)
		if db.restore.After(latest) {
			latest, source = *db.restore, "latest restorable time"
		}
	}
	if latest.IsZero() {
		f := ec.Finding(db.item, StatusFail, "DB %s %s has no available snapshot and no restorable time", db.kind, db.id)
		f.Details = details
		return f
	}
	age := ec.Now.Sub(latest)
	stamp := latest.UTC().Format("2006-01-02T15:04Z")
	var f Finding
	if age > maxAge {
		f = ec.Finding(db.item, StatusFail, "latest recovery point of DB %s %s is %s (%s), %s old; at most %s allowed", db.kind, db.id, stamp, source, hoursText(age), hoursText(maxAge))
	} else {
		f = ec.Finding(db.item, StatusPass, "latest recovery point of DB %s %s is %s (%s), %s old", db.kind, db.id, stamp, source, hoursText(age))
	}
	f.Details = details
	return f
}

// hoursText formats a duration in whole hours, "0 h" for less than one.
func hoursText(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	return fmt.Sprintf("%d h", int(d/time.Hour))
}
