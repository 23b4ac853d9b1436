import fs from 'node:fs';
import path from 'node:path';
import { DUST_PACKAGE, PACKAGE_ROOT } from '../package.js';

/**
 * Makes `dust-shell/plugin` resolve from drop-in files, for Node at run time (a value import of
 * `definePlugin`) and for `tsc` and editors (types): `<plugins>/node_modules/dust-shell` is a link to the
 * running dust's own package. Node and TypeScript look for packages in `node_modules` next to the importing
 * file, so nothing else is written and nothing needs configuring.
 *
 * The link is dust's: it is re-pointed when dust runs from elsewhere (upgraded, reinstalled), and left
 * alone when it is not a link (someone installed the package there on purpose). Failing to write it
 * (read-only folder) costs only this convenience, so it is reported and otherwise ignored.
 */
export function linkPackageForDropIns(pluginDir: string, debug: (message: string) => void = () => {}): void {
  if (!fs.existsSync(pluginDir)) return;
  const link = path.join(pluginDir, 'node_modules', DUST_PACKAGE);
  try {
    let stat: fs.Stats | undefined;
    try {
      stat = fs.lstatSync(link);
    } catch {
      stat = undefined;
    }
    if (stat && !stat.isSymbolicLink()) return;
    if (stat) {
      if (path.resolve(path.dirname(link), fs.readlinkSync(link)) === PACKAGE_ROOT) return;
      fs.unlinkSync(link);
    }
    fs.mkdirSync(path.dirname(link), { recursive: true });
    // 'junction' makes it work without privileges on Windows; elsewhere the type is ignored.
    fs.symlinkSync(PACKAGE_ROOT, link, 'junction');
  } catch (err) {
    debug(`could not link ${link} to ${PACKAGE_ROOT} (drop-ins cannot import '${DUST_PACKAGE}/plugin'): ${err instanceof Error ? err.message : String(err)}`);
  }
}
