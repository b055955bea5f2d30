// What every notification service takes, and the error it throws.
import type { ServiceConfig } from "../engine/notifications/config.js";
import type { Notification } from "../engine/notifications/plan.js";
import type { SlackThreads } from "./slack-threads.js";

export interface Delivery {
  service: ServiceConfig;
  recipient: string;
  notification: Notification;
  /** Slack threads by groupingKey (operator/notifications/slack-threads.ts); none: every post stands alone. */
  slackThreads?: SlackThreads;
}

/** A failed delivery; `retryable` when the next attempt may succeed (network error, 5xx, 429). */
export class DeliveryError extends Error {
  constructor(message: string, readonly retryable: boolean) {
    super(message);
    this.name = "DeliveryError";
  }
}

