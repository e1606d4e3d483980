package controls

// TODO: not built yet.
var awsS3Checks = []*Check{}
