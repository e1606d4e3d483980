package controls

// TODO: not built yet.
var awsCloudTrailChecks = []*Check{}
