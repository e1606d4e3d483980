// Package controls holds the Trust Services Criteria catalog, the checks that
// judge evidence against it, and the evaluation that turns evidence into
// findings and criterion statuses.
package controls

import (
	_ "embed"
	"fmt"
	"regexp"

	"gopkg.in/yaml.v3"
)

//go:embed criteria.yaml
var criteriaYAML []byte

// Category groups criteria, for example CC6 or A1.
type Category struct {
	ID   string `yaml:"id" json:"id"`
	Name string `yaml:"name" json:"name"`
}

// Criterion is one Trust Services Criterion.
type Criterion struct {
	ID          string `yaml:"id" json:"id"`
	Category    string `yaml:"category" json:"category"`
	Description string `yaml:"description" json:"description"`
}

// Catalog is the embedded list of criteria in framework order.
type Catalog struct {
	Categories []Category  `yaml:"categories" json:"categories"`
	Criteria   []Criterion `yaml:"criteria" json:"criteria"`
	byID       map[string]int
}

var criterionIDRe = regexp.MustCompile(`^(CC[1-9]|A1|C1|PI1|P[1-8])\.[1-9]$`)

// LoadCatalog parses the embedded catalog.
func LoadCatalog() (*Catalog, error) {
	var c Catalog
	if err := yaml.Unmarshal(criteriaYAML, &c); err != nil {
		return nil, fmt.Errorf("parse embedded criteria catalog: %w", err)
	}
	c.byID = map[string]int{}
	for i, cr := range c.Criteria {
		if !criterionIDRe.MatchString(cr.ID) {
			return nil, fmt.Errorf("criteria catalog: invalid criterion id %q", cr.ID)
		}
		if _, dup := c.byID[cr.ID]; dup {
			return nil, fmt.Errorf("criteria catalog: duplicate criterion id %q", cr.ID)
		}
		c.byID[cr.ID] = i
	}
	return &c, nil
}

// MustCatalog is LoadCatalog for the embedded file, which a test keeps valid.
func MustCatalog() *Catalog {
	c, err := LoadCatalog()
	if err != nil {
		panic(err)
	}
	return c
}

// Lookup returns the criterion with the id.
func (c *Catalog) Lookup(id string) (Criterion, bool) {
	i, ok := c.byID[id]
	if !ok {
		return Criterion{}, false
	}
	return c.Criteria[i], true
}

// CategoryName returns the name of a category id.
func (c *Catalog) CategoryName(id string) string {
	for _, cat := range c.Categories {
		if cat.ID == id {
			return cat.Name
		}
	}
	return id
}

// Index is the position of a criterion in framework order, for sorting.
func (c *Catalog) Index(id string) int {
	if i, ok := c.byID[id]; ok {
		return i
	}
	return len(c.Criteria)
}
