// SPDX-License-Identifier: Apache-2.0

package toolsconf

import (
	"fmt"

	"github.com/beevik/etree"
	"github.com/pgrex/pgrex/cmd/pgrex/internal/msg"
)

// CIBParams returns the instance parameters of the primitive rsc from CIB
// XML: the output of `cibadmin --query --scope resources`, a whole
// `cibadmin --query` or cib.xml. Only instance_attributes sets without a
// rule are read (a rule-scoped set applies to some nodes only, and the
// tools would not know which); the first value of a name wins, as in
// Pacemaker. found is false when the CIB has no such primitive.
func CIBParams(cib []byte, rsc string) (params map[string]string, found bool, err error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(cib); err != nil {
		return nil, false, fmt.Errorf("parsing CIB XML: %w", err)
	}
	if doc.Root() == nil {
		return nil, false, fmt.Errorf("parsing CIB XML: empty document")
	}
	var prim *etree.Element
	for _, el := range doc.FindElements("//primitive") {
		if el.SelectAttrValue("id", "") == rsc {
			prim = el
			break
		}
	}
	if prim == nil {
		return nil, false, nil
	}
	params = map[string]string{}
	for _, set := range prim.SelectElements("instance_attributes") {
		if set.SelectElement("rule") != nil {
			continue
		}
		for _, nv := range set.SelectElements("nvpair") {
			name := nv.SelectAttrValue("name", "")
			if name == "" {
				continue
			}
			if _, dup := params[name]; !dup {
				params[name] = nv.SelectAttrValue("value", "")
			}
		}
	}
	return params, true, nil
}

// Source says where a resolved setting came from, for the operator.
type Source string

// Sources of a setting, strongest first.
const (
	FromFlag    Source = "command line"
	FromConfig  Source = "config file"
	FromCIB     Source = "CIB"
	FromDefault Source = "default"
)

// Text renders where a setting came from, for people, in lang.
func (s Source) Text(lang msg.Lang) string {
	key := "src.default"
	switch s {
	case FromFlag:
		key = "src.flag"
	case FromConfig:
		key = "src.config"
	case FromCIB:
		key = "src.cib"
	}
	return msg.T(lang, "source", msg.T(lang, key))
}

// Resolve picks a setting: the flag if given, else the config file's value
// if it set the key, else the agent's parameter from the CIB if known, else
// def.
func (c *Config) Resolve(flag, key, cfgValue string, cib map[string]string, cibParam, def string) (string, Source) {
	switch {
	case flag != "":
		return flag, FromFlag
	case c.IsSet(key):
		return cfgValue, FromConfig
	case cib != nil && cib[cibParam] != "":
		return cib[cibParam], FromCIB
	}
	return def, FromDefault
}
