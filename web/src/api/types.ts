// The API's shapes as the app uses them, taken from the types generated from api/openapi.yaml
// (src/api/schema.d.ts, `npm run gen:api`, run by `npm run build`): each is the JSON body of a
// route's answer, found by path, method and status, so the app and the document cannot drift.
// A change of the document that breaks the app fails `tsc` in the build.
import type { paths } from './schema';

type Method = 'get' | 'post' | 'put' | 'delete';

// The application/json body of the answer `status` of `method path`.
type Body<P extends keyof paths, M extends Method, S extends number> = paths[P][M] extends {
  responses: infer R;
}
  ? S extends keyof R
    ? R[S] extends { content: { 'application/json': infer T } }
      ? T
      : never
    : never
  : never;

export type ErrorBody = Body<'/api/users/signup', 'post', 400>;
export type ApiErrorItem = ErrorBody['errors'][number];
export type User = Body<'/api/users/signup', 'post', 201>;
export type CurrentUserBody = Body<'/api/users/currentuser', 'get', 200>;
export type CurrentUser = NonNullable<CurrentUserBody['currentUser']>;
export type Ticket = Body<'/api/tickets/{id}', 'get', 200>;
export type MyTicket = Body<'/api/tickets/mine', 'get', 200>[number];
export type TicketState = MyTicket['state'];
export type Order = Body<'/api/orders/{id}', 'get', 200>;
export type OrderStatus = Order['status'];
export type PaymentCreated = Body<'/api/payments', 'post', 201>;
export type Payment = Body<'/api/payments/{id}', 'get', 200>;
export type PaymentStatus = Payment['status'];
export type PaymentConfig = Body<'/api/payments/config', 'get', 200>;

// A route or status renamed in the document would make its type `never`, which TypeScript lets
// through silently in many places: these fail the build instead.
type IsNever<X> = [X] extends [never] ? true : false;
type Present<X extends false> = X;
export type TypesArePresent = [
  Present<IsNever<ErrorBody>>,
  Present<IsNever<User>>,
  Present<IsNever<CurrentUserBody>>,
  Present<IsNever<Ticket>>,
  Present<IsNever<MyTicket>>,
  Present<IsNever<TicketState>>,
  Present<IsNever<Order>>,
  Present<IsNever<PaymentCreated>>,
  Present<IsNever<Payment>>,
  Present<IsNever<PaymentStatus>>,
  Present<IsNever<PaymentConfig>>,
];
