// SPDX-License-Identifier: Apache-2.0

// Package crmgen generates a crmsh configuration from a PG-REX
// environment-definition sheet saved as CSV, compatibly with pm_crmgen 2.2:
// the same sheet gives byte-identical output, messages and exit statuses.
//
// The pipeline has four stages, each testable on its own:
//
//   - read: Decode detects the encoding (UTF-8 with or without BOM, CP932)
//     and ReadRecords splits the text into numbered CSV records;
//   - parse: the parser classifies records into table keywords, column
//     headers and data rows and checks the headers;
//   - model: the builder turns data rows into resources, their hierarchy,
//     attributes, operations and constraints, reporting errors with the
//     record number;
//   - render: the model is printed in crm syntax, sections in a fixed order.
//
// Generate runs the pipeline on a file's content; Run adds reading the
// file, printing messages and writing the output atomically.
//
// Where pm_crmgen's output depends on an implementation detail (the
// iteration order of a Python 2 dict, re-appended XML elements), the detail
// is reproduced and commented, because users compare generated files with
// those of the reference tool.
package crmgen
