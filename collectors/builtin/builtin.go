// Package builtin lists every built-in collector. A new collector is one line
// here.
package builtin

import (
	"github.com/auditpack/auditpack/accessreview"
	"github.com/auditpack/auditpack/collectors"
	"github.com/auditpack/auditpack/collectors/aws"
	"github.com/auditpack/auditpack/collectors/files"
	"github.com/auditpack/auditpack/collectors/postgres"
)

// Factories returns the built-in collector factories.
func Factories() []collectors.Factory {
	return []collectors.Factory{
		postgres.ServerFactory,
		postgres.RolesFactory,
		postgres.UsersFactory,
		postgres.AuditLogFactory,
		files.HRRosterFactory,
		aws.S3Factory,
		aws.IAMFactory,
		aws.CloudTrailFactory,
		aws.IAMAccessFactory,
		accessreview.Factory,
		aws.KMSFactory,
		aws.EC2Factory,
		aws.RDSFactory,
		aws.BackupFactory,
		files.RestoreTestsFactory,
	}
}

// Registry returns the registry of built-in collectors.
func Registry() (*collectors.Registry, error) {
	return collectors.NewRegistry(Factories()...)
}
