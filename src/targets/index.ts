/**
 * The target language: which nodes a command acts on.
 *
 *   *  or empty          the whole working set (every term selects from the working set only)
 *   3  1,3,4  2-5  [2-5] global 1-based node indexes (numeric; results sort 2 before 10)
 *   worker*  wo?ker3     node names: globs, case-insensitive, whole name
 *   worker[0-12]         numeric ranges in brackets; node[01-10,15] keeps zero padding; [0-10/2] steps;
 *                        several brackets multiply: rack[1-2]-node[1-3]
 *   worker[abc]  [!x]    any other bracket is a glob character class
 *   key=value            any node property (nodeProperty), value a glob/range; state=stop*, index=[2-5]
 *   tags=K:V  tags=K     tag pairs, split at the LAST colon; `tag=` is an alias
 *   annotation=K[:V]     annotations (alias `annotations=`)
 *   cluster=NAME / NAME  a bare known cluster name means cluster=NAME
 *   file:PATH            the hosts listed in a file ([user@]host[:port] lines; see host-list.ts)
 *   a,b  a&b  a!b  a^b   union, intersection, difference, symmetric difference: ONE precedence, left to
 *                        right, as in ClusterShell (a,b!c = (a,b)!c); !b = working set minus b; (...) groups
 *   "..."                quoted text is literal: operators, globs and brackets lose their meaning
 *
 * A bare term is classified in this order: `file:` prefix -> host list; contains `=` -> key=value; equals a
 * cluster name -> cluster; numeric -> index; otherwise a name pattern.
 */
export { parseTarget } from './parser.js';
export type { TargetExpr, AllTerm, IndexTerm, NameTerm, PropertyTerm, PairTerm, FileTerm, SetOperation } from './parser.js';
export { MAX_NESTING } from './parser.js';
export { parseHostList, HostIndex, HOSTFILE_SOURCE, entryConflict } from './host-list.js';
export type { HostEntry, HostList, HostCandidate, EntryMatch } from './host-list.js';
export { resolveTarget, describeTargetKeys, fileTermsOf } from './resolve.js';
export type { TargetScope } from './resolve.js';
export { expandNodeRange, foldNodeNames } from './nodeset.js';
export { describeNoMatch } from './errors.js';
export type { Pattern } from './pattern.js';
export type { RangeItem } from './range.js';
