package controls

// TODO: not built yet.
var restoreTestChecks = []*Check{}
