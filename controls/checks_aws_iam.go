package controls

// TODO: not built yet.
var awsIAMChecks = []*Check{}
