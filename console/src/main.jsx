// Entry point: the styles, the language of the page, the app.
import { render } from 'preact';
import './styles.css';
import { locale, t } from './i18n/index.js';
import { App } from './app.jsx';

document.documentElement.lang = locale();
document.title = t('app.title');
render(<App />, document.getElementById('app'));
