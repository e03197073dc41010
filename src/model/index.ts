export {
  ITEM_MAX_CODE_POINTS,
  ITEM_MAX_LENGTH,
  MalformedOrderError,
  ORDER_REQUEST_SCHEMA,
  ORDER_SCHEMA,
  QUANTITY_MAX,
  decodeOrder,
  encodeOrder,
  isOrderId,
} from './order.js';
export type { Order, OrderRequest } from './order.js';
export { describeSchemaErrors, graphemeCount, validatorFor } from './schema.js';
export {
  ORDER_SERVICES,
  PIPELINE_ORDER,
  SERVICES,
  SERVICE_KINDS,
  isServiceKind,
} from './services.js';
export type { PipelineKind, ServiceDefinition, ServiceKind } from './services.js';
export { TOPICS } from './topics.js';
export type { TopicName } from './topics.js';
export type { LagEntry } from './lag.js';
export { DROPPED_SPANS_PATH, describeDroppedSpans } from './dropped-spans.js';
export type { DroppedSpansOfService, DroppedSpansReport } from './dropped-spans.js';
export type {
  AttributeType,
  ChainMember,
  JaegerChainTrace,
  JaegerDependencyLink,
  JaegerLog,
  JaegerOperation,
  JaegerProcess,
  JaegerReference,
  JaegerResponse,
  JaegerSpan,
  JaegerTag,
  JaegerTrace,
} from './jaeger-trace.js';
export { emptySpanFields } from './trace-reader.js';
export type { SpanFields, SpanSink, TraceReader } from './trace-reader.js';
