import { z } from 'zod';
import { LoginRuleSchema } from '../config/schema.js';

/** `$DUST_HOME/logins.yaml`, as `assign` writes it. */
export const LoginRulesFileSchema = z.strictObject({
  first: z.array(LoginRuleSchema).default([]),
  last: z.array(LoginRuleSchema).default([]),
});
