// Package cmd holds auditpack's cobra commands and viper configuration.
package cmd

// Execute runs the command line and returns the process exit code.
func Execute() int { return 0 }
