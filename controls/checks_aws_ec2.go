package controls

// TODO: not built yet.
var awsEC2Checks = []*Check{}
