/**
 * The target language: which nodes a command acts on.
 *
 *   *  or empty          the whole working set (every term selects from the working set only)
 *   3  1,3,4  2-5  [2-5] global 1-based node indexes (numeric; results sort 2 before 10)
 *   worker*  wo?ker3     node names: globs, case-insensitive, whole name
 *   worker[0-12]         numeric ranges in brackets; node[01-10,15] keeps zero padding; [0-10/2] steps
 *   worker[abc]  [!x]    any other bracket is a glob character class
 *   key=value            any node property (nodeProperty), value a glob/range; state=stop*, index=[2-5]
 *   tags=K:V  tags=K     tag pairs, split at the LAST colon; `tag=` is an alias
 *   annotation=K[:V]     annotations (alias `annotations=`)
 *   cluster=NAME / NAME  a bare known cluster name means cluster=NAME
 *   a,b  a&b  a!b  !b    union, intersection, difference (precedence ! > & > ,), (...) groups
 *   "..."                quoted text is literal: operators, globs and brackets lose their meaning
 *
 * A bare term is classified in this order: contains `=` -> key=value; equals a cluster name -> cluster;
 * numeric -> index; otherwise a name pattern.
 */
export { parseTarget } from './parser.js';
export type { TargetExpr, AllTerm, IndexTerm, NameTerm, PropertyTerm, PairTerm, SetOperation } from './parser.js';
export { resolveTarget, describeTargetKeys } from './resolve.js';
export type { TargetScope } from './resolve.js';
export { expandNodeRange, foldNodeNames } from './nodeset.js';
export { describeNoMatch } from './errors.js';
export type { Pattern } from './pattern.js';
export type { RangeItem } from './range.js';
