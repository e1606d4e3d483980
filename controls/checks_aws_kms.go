package controls

// TODO: not built yet.
var awsKMSChecks = []*Check{}
