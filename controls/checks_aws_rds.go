package controls

// TODO: not built yet.
var awsRDSChecks = []*Check{}
