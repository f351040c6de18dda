// Errors of the event webhooks: a receiver URL the policy refuses (400) and a tenant at its
// subscription limit (409); lib/http/errorMapping.ts maps them through their base classes.
import { ConflictError, ValidationError } from "../errors.js";

export class ReceiverUrlError extends ValidationError {
  constructor(message: string) {
    super(message, "url");
    this.name = "ReceiverUrlError";
  }
}

export class SubscriptionLimitError extends ConflictError {
  readonly limit: number;
  constructor(limit: number) {
    super(`a tenant has at most ${limit} event subscriptions; delete one first`, { limit });
    this.name = "SubscriptionLimitError";
    this.limit = limit;
  }
}
