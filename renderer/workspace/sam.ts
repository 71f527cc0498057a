// SAM prompting: which model and execution provider SAM uses in this project (the SAM tools are
// unavailable without one), and sending a prompt tool's points and box to main, handing the
// answer back to the tool. Only the newest prompt's answer counts.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { GrainLabClient } from '../../app/contract';
import type { SamStatus } from '../../app/contract/sam';
import type { PromptTool } from '../tools/sam/sam';
import type { Intent, ToolDocument } from '../tools/types';
import { errorText, type Toasts } from './toasts';

export interface SamPrompting {
  status: SamStatus | null;
  /** Asks main again (after the project opened, on switching to a SAM tool, once a model loaded). */
  check(): Promise<void>;
  prompt(i: Extract<Intent, { type: 'prompt' }>, tool: PromptTool, imageId: number, doc: () => ToolDocument): Promise<void>;
}

export function useSamPrompting(client: GrainLabClient, toasts: Toasts, promptTools: readonly PromptTool[], onToolChanged: () => void): SamPrompting {
  const { toast } = toasts;
  const [status, setStatus] = useState<SamStatus | null>(null);
  const statusRef = useRef(status);
  statusRef.current = status;
  const seq = useRef(0);
  const changed = useRef(onToolChanged);
  changed.current = onToolChanged;

  const check = useCallback(async () => {
    try {
      const st = await client.call('sam.status', {});
      setStatus(st);
      for (const tool of promptTools) tool.setAvailability(st.active !== null, st.active !== null ? '' : st.hint.startsWith('No SAM model') ? st.hint : `No SAM model chosen. ${st.hint}`);
    } catch (e) {
      for (const tool of promptTools) tool.setAvailability(false, `SAM is not available: ${errorText(e)}`);
    }
    changed.current();
  }, [client, promptTools]);

  useEffect(() => {
    void check();
  }, [check]);

  const prompt = useCallback(
    async (i: Extract<Intent, { type: 'prompt' }>, tool: PromptTool, imageId: number, doc: () => ToolDocument) => {
      const mine = ++seq.current;
      try {
        const c = await client.call('sam.prompt', { imageId, points: i.points, ...(i.box ? { box: i.box } : {}), refine: i.refine });
        if (mine !== seq.current) return;
        tool.setCandidate({ box: c.box, mask: c.mask, score: c.score }, doc());
        // The execution provider is known once the model has loaded: show it.
        if (statusRef.current?.provider == null) void check();
      } catch (e) {
        if (mine !== seq.current) return;
        tool.setCandidate(null, doc());
        toast('error', errorText(e));
      }
      changed.current();
    },
    [client, toast, check],
  );

  return { status, check, prompt };
}
