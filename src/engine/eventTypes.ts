/** The event journal's records and queries, shared by the engine interface and its implementations. */

export type EventType = 'container' | 'image' | 'pod' | 'volume' | 'network' | 'system' | 'secret';

/** One journal line; field names follow podman's file logger. */
export interface EventRecord {
  ID: string;
  Name: string;
  Image: string;
  Type: EventType;
  Status: string;
  /** Nanoseconds since the epoch, as a decimal string (beyond Number's precision). */
  TimeNano: string;
  Attributes?: Record<string, string>;
  ContainerExitCode?: number;
}

export interface EventsQuery {
  /** Keep following the journal after the stored events (default true). */
  stream?: boolean;
  /** Nanoseconds since the epoch; events before are skipped. */
  sinceNano?: bigint;
  /** Nanoseconds since the epoch; events after are skipped and streaming stops then. */
  untilNano?: bigint;
  /** `key=value` strings; the same key ORed, different keys ANDed. */
  filters?: string[];
}
