// The exercises' provider clients with the mocks' admin API (faults, reset, key
// counts): for the checker and the tests, never for a learner's service.
import { withMockAdmin } from "../../code/mock_admin_client.js";
import { InventoryClient } from "./inventory_client.js";
import { MailerClient } from "./mailer_client.js";
import { TopUpClient } from "./topup_client.js";

export class MockInventoryClient extends withMockAdmin(InventoryClient) {}
export class MockMailerClient extends withMockAdmin(MailerClient) {}
export class MockTopUpClient extends withMockAdmin(TopUpClient) {}
