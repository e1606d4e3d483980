package cmd

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

func (a *app) manCommand(root *cobra.Command) *cobra.Command {
	c := &cobra.Command{
		Use:     "man",
		Short:   "Write man pages for every command",
		Example: "  auditpack man --out-dir /usr/local/share/man/man1",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, _ := cmd.Flags().GetString("out-dir")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return abortedError(err)
			}
			header := &doc.GenManHeader{Title: "AUDITPACK", Section: "1", Source: "auditpack " + Version}
			root.DisableAutoGenTag = true
			if err := doc.GenManTree(root, header, dir); err != nil {
				return abortedError(fmt.Errorf("write man pages: %w", err))
			}
			fmt.Fprintf(a.stdout, "Man pages written to %s\n", dir)
			return nil
		},
	}
	c.Flags().String("out-dir", "man", "folder for the man pages")
	return c
}
