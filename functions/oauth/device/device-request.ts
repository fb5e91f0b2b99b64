import type { Authentication } from '../sessions/authentication.ts';
import type { NewFamilyItem } from '../tokens/family.ts';
import type { UserCodeKeys } from './user-code.ts';

/** Where a device authorization request is (RFC 8628): pending → accepted | rejected, accepted → consumed. */
export type DeviceStatus = 'pending' | 'accepted' | 'rejected' | 'consumed';

/** What the login app vouched for when the user approved the device. */
export interface DeviceApproval extends Authentication {
  readonly subject: string;
  /** When the user approved (epoch seconds): the `auth_time`. */
  readonly authTime: number;
}

/** Why the user (or the login app) denied the device; the client learns `access_denied`. */
export interface DeviceRejection {
  readonly description?: string | undefined;
}

/** A device authorization request as stored (by hash of the device code). Times in epoch seconds. */
export interface DeviceRequest {
  readonly clientId: string;
  readonly scope: readonly string[];
  readonly audience: string;
  readonly status: DeviceStatus;
  readonly createdAt: number;
  readonly expiresAt: number;
  /** Seconds the client must wait between polls; grows by 5 with each `slow_down` (RFC 8628 §3.5). */
  readonly interval: number;
  readonly lastPolledAt?: number | undefined;
  /** `lastPolledAt + interval`, stored because a DynamoDB condition cannot add. */
  readonly nextPollAt?: number | undefined;
  readonly approval?: DeviceApproval | undefined;
  readonly rejection?: DeviceRejection | undefined;
  readonly consumedAt?: number | undefined;
  /** The id the consuming request gave (its access token's `jti`): tells an SDK retry of that write from a second use. */
  readonly consumerId?: string | undefined;
}

/** A poll's one conditional write: recorded (still pending), or refused with the item as it was. */
export type PollResult =
  | { readonly outcome: 'pending' }
  | { readonly outcome: 'refused'; readonly device: DeviceRequest | undefined };

/** The single use: accepted → consumed, or refused with the item as it was (undefined: absent, or lost to a concurrent write). */
export type ConsumeResult = { readonly outcome: 'consumed' } | { readonly outcome: 'refused'; readonly device: DeviceRequest | undefined };

export interface ConsumeRequest {
  readonly deviceCodeHash: string;
  readonly clientId: string;
  readonly now: number;
  /** Unique to the consuming request, stored on the item. */
  readonly consumerId: string;
}

/** A too-fast poll's write: the longer interval recorded, or refused with the item as it is now. */
export type SlowDownResult =
  | { readonly outcome: 'slowed' }
  | { readonly outcome: 'refused'; readonly device: DeviceRequest | undefined };

export interface SlowDownRequest {
  readonly deviceCodeHash: string;
  readonly clientId: string;
  /** The item as last seen: the write is optimistic, so concurrent too-fast polls each add their 5 s. */
  readonly seen: Pick<DeviceRequest, 'interval' | 'nextPollAt'>;
  /** The new interval (the one seen plus 5 s). */
  readonly interval: number;
  readonly now: number;
}

/** Port: device authorization requests (RFC 8628), single use, short-lived, found by device code or user code. */
export interface DeviceStore {
  /**
   * Stores the request under its device-code hash and a pointer under its user code's key
   * ({@link UserCodeKeys}), in one write. False (nothing written) when an unexpired request
   * already holds that user code.
   */
  create(deviceCodeHash: string, userCodeKey: string, device: DeviceRequest): Promise<boolean>;
  /** The request a user code points to; undefined when either item is absent or expired. */
  findByUserCode(userCodeKey: string, now: number): Promise<{ readonly deviceCodeHash: string; readonly device: DeviceRequest } | undefined>;
  /** pending → accepted, if unexpired. Undefined when it was not pending (or expired). */
  accept(deviceCodeHash: string, approval: DeviceApproval, now: number): Promise<DeviceRequest | undefined>;
  /** pending → rejected, if unexpired. */
  reject(deviceCodeHash: string, rejection: DeviceRejection, now: number): Promise<DeviceRequest | undefined>;
  /**
   * One conditional write: records the poll when the request is this client's, unexpired,
   * pending and `interval` seconds have passed since the previous poll; otherwise changes
   * nothing and returns the item as it was.
   */
  poll(deviceCodeHash: string, clientId: string, now: number): Promise<PollResult>;
  /** Records a too-fast poll and the longer interval, if the item is still as `seen`. */
  slowDown(request: SlowDownRequest): Promise<SlowDownResult>;
  /**
   * accepted → consumed, if unexpired and this client's: tokens are issued once. In the same
   * transaction, the refresh family the approval starts.
   */
  consume(request: ConsumeRequest, family?: NewFamilyItem): Promise<ConsumeResult>;
}

/** RFC 8628 §3.2: the polling interval a new request starts with. */
export const DEFAULT_POLL_INTERVAL = 5;
/** RFC 8628 §3.5: what each `slow_down` adds to the interval. */
export const SLOW_DOWN_STEP = 5;
