import { t } from '../i18n/index.js';
import { Link } from '../router.jsx';

export function NotFoundPage() {
  return (
    <section>
      <h1>{t('notFound.title')}</h1>
      <p><Link href="/">{t('notFound.back')}</Link></p>
    </section>
  );
}

export default NotFoundPage;
