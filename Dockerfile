# Build: dependencies, generated Prisma client, compiled JavaScript.
FROM node:20-bookworm-slim AS build
WORKDIR /app
# npm ci runs the package's postinstall (prisma generate), which reads prisma.config.ts and the
# schema: both must be in place before it.
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma/schema.prisma ./prisma/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

# Run: the compiled app, production dependencies, and the migration runner.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/package.json ./
COPY prisma ./prisma
USER node
EXPOSE 3000
CMD ["node", "dist/main.js", "all"]
