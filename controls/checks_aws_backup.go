package controls

// TODO: not built yet.
var awsBackupChecks = []*Check{}
