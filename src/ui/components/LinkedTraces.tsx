import type { ChainMember } from '../../model/index.js';
import { fetchChain } from '../api.js';
import { useLoad } from '../hooks.js';
import { serviceColor } from '../model/colors.js';
import { formatDuration } from '../model/format.js';

/**
 * The traces linked to this one (in link mode each consumer starts a trace of its own): each
 * in chain order with a link to open it, and a button to open the whole chain as one
 * waterfall. Nothing when the trace has no links, or the server cannot say (a real Jaeger).
 */
export function LinkedTraces({ traceID, inChain }: { traceID: string; inChain: boolean }) {
  const chain = useLoad((signal) => fetchChain(traceID, signal), [traceID]);
  const members = chain.value?.chain ?? [];
  if (members.length < 2) return null;
  const at = members.findIndex((m) => m.traceID === traceID);
  const startUs = members[0]!.startTime;
  return (
    <section class="linked-traces panel">
      <div class="title-row">
        <h2>
          {inChain
            ? `The whole chain: ${members.length} linked traces`
            : `Linked traces: this is ${at + 1} of ${members.length}`}
        </h2>
        {!inChain && (
          <a class="button primary open-chain" href={`/trace/${traceID}?chain=1`}>
            Open the whole chain
          </a>
        )}
      </div>
      <ol class="chain-list">
        {members.map((m, i) => (
          <ChainRow
            key={m.traceID}
            member={m}
            current={!inChain && i === at}
            offsetUs={m.startTime - startUs}
            relation={inChain || at < 0 ? '' : i < at ? 'previous' : i > at ? 'next' : 'this trace'}
          />
        ))}
      </ol>
    </section>
  );
}

function ChainRow({
  member,
  current,
  offsetUs,
  relation,
}: {
  member: ChainMember;
  current: boolean;
  offsetUs: number;
  relation: string;
}) {
  const label = `${member.serviceName}: ${member.operationName}`;
  return (
    <li class={current ? 'chain-member current' : 'chain-member'}>
      <i style={{ background: serviceColor(member.serviceName) }} />
      {current ? <strong>{label}</strong> : <a href={`/trace/${member.traceID}`}>{label}</a>}
      <span class="muted">
        {' '}
        +{formatDuration(offsetUs)}, {formatDuration(member.duration)}, {member.spans} spans
      </span>
      {relation && <span class="chip relation">{relation}</span>}
      <span class="trace-id">{member.traceID}</span>
    </li>
  );
}
