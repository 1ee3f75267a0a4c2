// Sell a ticket (POST /api/tickets) and edit one's own while it is not reserved
// (PUT /api/tickets/:id). Title and price errors from the API appear beside their fields.
import { useState } from 'preact/hooks';
import { ApiError } from '../api/client';
import { Api } from '../api/endpoints';
import { ErrorView, Field, FormErrors, Loading, PageTitle } from '../components/ui';
import { useLoad } from '../hooks';
import { Link, navigate } from '../router';
import { useSession } from '../session';
import { RequireUser } from './auth';

interface FormProps {
  heading: string;
  submitLabel: string;
  initial: { title: string; price: string };
  locked?: string;
  save: (title: string, price: string) => Promise<string>;
}

function TicketForm({ heading, submitLabel, initial, locked, save }: FormProps) {
  const [title, setTitle] = useState(initial.title);
  const [price, setPrice] = useState(initial.price);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [form, setForm] = useState<string[]>([]);
  const [sending, setSending] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setSending(true);
    try {
      const id = await save(title.trim(), price.trim());
      navigate(`/tickets/${id}`);
    } catch (err) {
      if (err instanceof ApiError) {
        setFields(err.fieldErrors());
        setForm(err.formErrors());
      } else {
        setFields({});
        setForm([err instanceof Error ? err.message : 'Something went wrong']);
      }
      setSending(false);
    }
  };

  return (
    <section class="narrow">
      <PageTitle>{heading}</PageTitle>
      {locked && (
        <p class="alert" role="status">
          {locked}
        </p>
      )}
      <form onSubmit={submit} noValidate>
        <FormErrors messages={form} />
        <Field
          id="title"
          label="Title"
          value={title}
          onInput={setTitle}
          error={fields.title}
          maxLength={200}
          disabled={!!locked}
        />
        <Field
          id="price"
          label="Price (USD)"
          inputMode="decimal"
          value={price}
          onInput={setPrice}
          error={fields.price}
          hint="In dollars, e.g. 20 or 35.50"
          disabled={!!locked}
        />
        <button type="submit" class="primary" disabled={sending || !!locked}>
          {submitLabel}
        </button>
      </form>
    </section>
  );
}

export function SellTicket() {
  return (
    <RequireUser>
      <TicketForm
        heading="Sell a ticket"
        submitLabel="Sell"
        initial={{ title: '', price: '' }}
        save={async (title, price) => (await Api.createTicket(title, price)).id}
      />
    </RequireUser>
  );
}

function EditForm({ id }: { id: string }) {
  const { user } = useSession();
  const ticket = useLoad(() => Api.ticket(id), [id]);
  if (ticket.error) return <ErrorView error={ticket.error} retry={ticket.reload} />;
  if (!ticket.data) return <Loading what="the ticket" />;
  const t = ticket.data;
  if (user && t.userId !== user.id) {
    return (
      <section class="narrow">
        <PageTitle>Edit ticket</PageTitle>
        <p role="alert">Only the seller can edit this ticket.</p>
        <p>
          <Link href={`/tickets/${t.id}`}>Back to the ticket</Link>
        </p>
      </section>
    );
  }
  return (
    <TicketForm
      heading="Edit ticket"
      submitLabel="Save"
      initial={{ title: t.title, price: t.price.toFixed(2) }}
      locked={t.orderId ? 'Cannot edit a reserved ticket: an order holds it.' : undefined}
      save={async (title, price) => (await Api.updateTicket(id, title, price)).id}
    />
  );
}

export function EditTicket({ id }: { id: string }) {
  return (
    <RequireUser>
      <EditForm id={id} />
    </RequireUser>
  );
}
